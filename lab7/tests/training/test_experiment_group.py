"""Lab 4 exercises: an experiment group's trial configs, and its Tune search space and scheduler
(`experiment_group.py`)."""

import itertools
import math

import pytest

from text_recognizer.training.experiment_config import ConfigError
from text_recognizer.training.experiment_group import (
    expand_group,
    load_group,
    set_dotted,
    tune_scheduler,
    tune_search_space,
)

BASE = {"dataset": "emnist", "model": "CharacterModel", "network": "mlp",
        "network_args": {"layer_size": 32, "num_layers": 1}, "train_args": {"epochs": 1}}


def test_set_dotted_sets_nested_keys_on_a_copy():
    changed = set_dotted(BASE, "train_args.learning_rate", 0.01)
    assert changed["train_args"] == {"epochs": 1, "learning_rate": 0.01}, changed["train_args"]
    assert "learning_rate" not in BASE["train_args"], (
        "set_dotted changed its input's nested object: copy the config, nested objects included, before setting")
    assert set_dotted(BASE, "name", "x")["name"] == "x"
    assert set_dotted({}, "a.b.c", 1) == {"a": {"b": {"c": 1}}}, "objects missing along the path are created"
    with pytest.raises(ValueError):  # "name" holds a string, not an object
        set_dotted({"name": "x"}, "name.first", 1)


def test_list_group_sets_each_entry_over_the_base():
    group = {"name": "sizes", "base": BASE, "configs": [
        {"network_args.layer_size": 64}, {"network_args": {"num_layers": 3}, "train_args.epochs": 2}]}
    trials = expand_group(group)
    assert [t["name"] for t in trials] == ["sizes-000", "sizes-001"], "trial i is named <group name>-00i"
    assert trials[0]["network_args"] == {"layer_size": 64, "num_layers": 1}, "a dotted entry changes that key only"
    assert trials[1]["network_args"] == {"layer_size": 32, "num_layers": 3}, (
        f"a nested entry changes only the keys it names (merged, not replaced): got {trials[1]['network_args']}")
    assert trials[1]["train_args"] == {"epochs": 2}, "a dotted entry changes that key only"
    assert BASE["network_args"]["layer_size"] == 32, "expanding a group must not change its base"


def test_grid_group_is_the_product_in_order():
    sizes, rates = [16, 32, 64], [0.1, 0.01]
    group = {"name": "g", "base": BASE, "search": {"method": "grid", "parameters": {
        "network_args.layer_size": {"values": sizes}, "train_args.learning_rate": {"values": rates},
        "network_args.dropout": {"value": 0.25}}}}
    trials = expand_group(group)
    got = [(t["network_args"]["layer_size"], t["train_args"]["learning_rate"]) for t in trials]
    assert got == list(itertools.product(sizes, rates)), (
        f"expected every combination, the first parameter changing slowest: {list(itertools.product(sizes, rates))}, "
        f"got {got}")
    assert all(t["network_args"]["dropout"] == 0.25 and t["dataset"] == "emnist" for t in trials), (
        "a 'value' parameter is set on every trial, and the base's keys stay")
    assert len({t["name"] for t in trials}) == 6, "every trial has its own name"


def test_random_group_draws_within_the_ranges_reproducibly():
    group = {"name": "r", "base": BASE, "search": {"method": "random", "num_trials": 40, "parameters": {
        "train_args.learning_rate": {"min": 1e-4, "max": 1e-1, "distribution": "log_uniform_values"},
        "network_args.num_layers": {"min": 1, "max": 3},
        "network_args.dropout": {"min": 0.0, "max": 0.5},
        "network_args.layer_size": {"values": [8, 16]}}}}
    trials = expand_group(group, seed=1)
    assert len(trials) == 40, f"expected num_trials = 40 trials, got {len(trials)}"
    assert trials == expand_group(group, seed=1), "the same seed must give the same trials: draw from the seed only"
    assert trials != expand_group(group, seed=2), "another seed must give other trials"
    rates = [t["train_args"]["learning_rate"] for t in trials]
    layers = [t["network_args"]["num_layers"] for t in trials]
    assert all(1e-4 <= r <= 1e-1 for r in rates), "values drawn outside [min, max]"
    # Log-uniform: about as many rates below 1e-2.5 as above it (uniform would put ~97% above).
    below = sum(math.log10(r) < -2.5 for r in rates)
    assert 8 <= below <= 32, (
        f"{below} of 40 log-uniform rates below 10**-2.5, expected about half: uniform in log space, not in value")
    assert set(layers) == {1, 2, 3} and all(isinstance(n, int) for n in layers), (
        f"int_uniform draws whole numbers from min to max, both ends included: got {sorted(set(layers))}")
    assert all(0.0 <= t["network_args"]["dropout"] <= 0.5 for t in trials)
    assert {t["network_args"]["layer_size"] for t in trials} == {8, 16}


def test_bayes_groups_have_no_fixed_list():
    group = {"name": "b", "base": BASE, "search": {"method": "bayes", "num_trials": 3, "parameters": {
        "train_args.learning_rate": {"min": 1e-4, "max": 1e-1}}}}
    with pytest.raises(ValueError, match="(?i)optuna|bayes"):
        expand_group(group)


def test_load_group_reads_the_base_file_and_names_bad_keys(tmp_path):
    (tmp_path / "base.json").write_text('{"dataset": "emnist", "model": "CharacterModel", "network": "mlp"}')
    (tmp_path / "group.json").write_text('{"name": "g", "base": "base.json", "configs": [{"train_args.epochs": 2}]}')
    group = load_group(tmp_path / "group.json")
    assert group["base"]["network"] == "mlp" and group["metric"] == "val_loss" and group["mode"] == "min"
    with pytest.raises(ConfigError, match="num_trials"):
        load_group('{"name": "g", "base": {}, "search": {"method": "random", "parameters": {"a": {"values": [1]}}}}')
    with pytest.raises(ConfigError, match="exactly one"):
        load_group('{"name": "g", "base": {}}')
    with pytest.raises(ConfigError, match="train_args"):  # a trial's bad key, named
        load_group('{"name": "g", "base": {"dataset": "emnist", "model": "CharacterModel", "network": "mlp"}, '
                   '"configs": [{"train_args.epoch": 2}]}')


SWEEP = {"name": "s", "base": BASE, "metric": "val_loss", "mode": "min", "search": {
    "method": "bayes", "num_trials": 4, "parameters": {
        "train_args.learning_rate": {"min": 1e-5, "max": 1e-1, "distribution": "log_uniform_values"},
        "network_args.num_layers": {"min": 1, "max": 3},
        "network_args.dropout": {"min": 0.0, "max": 0.5},
        "network_args.layer_size": {"values": [8, 16]},
        "train_args.batch_size": {"value": 32}}}}


def test_the_tune_search_space_draws_what_each_parameter_means():
    space = tune_search_space(SWEEP)
    assert set(space) == set(SWEEP["search"]["parameters"])
    assert space["train_args.batch_size"] == 32, "a 'value' stays fixed"

    def draws(key):
        assert hasattr(space[key], "sample"), f"{key}: expected a Tune domain (tune.uniform, tune.choice...)"
        return list(space[key].sample(size=400, random_state=0))

    assert sorted(set(draws("network_args.layer_size"))) == [8, 16]
    assert sorted({int(n) for n in draws("network_args.num_layers")}) == [1, 2, 3], "both ends of an int range"
    dropouts = draws("network_args.dropout")
    assert all(0.0 <= d <= 0.5 for d in dropouts) and 150 <= sum(d < 0.25 for d in dropouts) <= 250
    rates = draws("train_args.learning_rate")
    # Log-uniform: about half the rates below 1e-3, the middle of the range in log space.
    assert all(1e-5 <= r <= 1e-1 for r in rates) and 150 <= sum(r < 1e-3 for r in rates) <= 250


def test_the_scheduler_stops_trailing_trials_at_rungs_of_the_epochs():
    from ray.tune.schedulers import ASHAScheduler

    assert tune_scheduler(SWEEP) is None, "no early_stop_trials: no scheduler"
    group = {**SWEEP, "metric": "val_accuracy", "mode": "max", "early_stop_trials": {"grace_period": 2},
             "base": {**BASE, "train_args": {"epochs": 8}}}
    scheduler = tune_scheduler(group)
    assert isinstance(scheduler, ASHAScheduler)
    # Ray keeps ASHA's settings in private attributes; read here only to check them.
    assert (scheduler._metric, scheduler._mode) == ("val_accuracy", "max"), "the group's metric, the group's mode"
    assert scheduler._time_attr == "epoch" and scheduler._max_t == 8, "epochs as reported, up to the base's 8"
    assert sorted(milestone for milestone, _ in scheduler._brackets[0]._rungs) == [2, 4, 8], \
        "compared after the grace period (2 epochs), then at twice as many (the default reduction factor)"
    assert scheduler._stop_last_trials is False, "a trial at its last epoch must still report its test metrics"
    longer = {**group, "early_stop_trials": True, "search": {**group["search"], "parameters": {
        **group["search"]["parameters"], "train_args.epochs": {"values": [4, 12]}}}}
    assert tune_scheduler(longer)._max_t == 12, "the longest trial a search can give"
    with pytest.raises(ConfigError, match="validation metric"):
        load_group('{"name": "g", "base": {}, "configs": [{}], "metric": "test_cer", "early_stop_trials": true}')
