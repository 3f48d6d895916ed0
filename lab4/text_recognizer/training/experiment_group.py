"""Experiment groups: several experiment configs run together, listed or searched.

A group file is JSON. Either a **list** of configs, each merged over a base config::

    {"name": "lab4_mlp_sizes", "base": "lab1_mlp_quick.json",
     "configs": [{"network_args.layer_size": 64}, {"network_args.layer_size": 256}],
     "metric": "val_loss", "mode": "min"}

or a **search** over the base config (W&B's sweep vocabulary), with the keys of the nested
config addressed as dotted paths::

    {"name": "lab4_mlp_sweep", "base": "lab1_mlp_quick.json",
     "search": {"method": "grid" | "random" | "bayes", "num_trials": 8,
                "parameters": {"train_args.learning_rate": {"min": 1e-4, "max": 1e-2,
                                                           "distribution": "log_uniform_values"},
                               "network_args.layer_size": {"values": [64, 128, 256]}}},
     "metric": "val_loss", "mode": "min", "early_stop_trials": false}

A parameter is `{"value": v}` (fixed), `{"values": [...]}` (a choice), or `{"min": a, "max": b}`
with `distribution` `uniform` (default for floats), `int_uniform` (default for integers) or
`log_uniform_values`. Grid searches take only `value` / `values`. `base` is a config (an object)
or the path of a config file, relative to the group file.

`expand_group` turns a list, grid or random group into the trial configs to run; a Bayesian
group has no fixed list (Optuna picks each trial from the results so far): `run_group` hands it
to Ray Tune as `tune_search_space`. `"early_stop_trials"` (true, or ASHA's `grace_period` and
`reduction_factor`) lets `tune_scheduler`'s ASHA stop the trials that trail the others.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from text_recognizer.training.experiment_config import TRAIN_ARG_DEFAULTS, ConfigError, flatten_config

if TYPE_CHECKING:
    from ray.tune.schedulers import ASHAScheduler

METHODS = ("grid", "random", "bayes")
DISTRIBUTIONS = ("uniform", "int_uniform", "log_uniform_values")
MODES = ("min", "max")
EARLY_STOP_DEFAULTS = {"grace_period": 1, "reduction_factor": 2}
"""ASHA's settings for `"early_stop_trials": true`: compare after 1 epoch, then 2, 4, ...; keep the better half."""
GROUP_KEYS = {"name", "base", "configs", "search", "metric", "mode", "early_stop_trials", "description"}


def set_dotted(config: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `config` with the value at dotted path `key` set to `value`.

    The contract: the input is never changed (not even its nested objects); objects missing
    along the path are created; a key without dots sets a top-level entry.

    Example:

        >>> set_dotted({"train_args": {"epochs": 3}}, "train_args.learning_rate", 0.01)
        {'train_args': {'epochs': 3, 'learning_rate': 0.01}}
        >>> set_dotted({}, "network_args.layer_size", 64)
        {'network_args': {'layer_size': 64}}

    Notebook: "Exercise: from an experiment group to trial configs" explains dotted paths.

    Raises:
        ValueError: when a part of the path that must hold an object holds something else
            (`"name.first"` where `name` is a string); say which part.
    """
    raise NotImplementedError("Lab 4 exercise: implement set_dotted: A copy of `config` with the value at dotted path `key` set to `value`. See notebooks/lab4.ipynb, section \"Exercise: from an experiment group to trial configs\".")


def expand_group(group: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """The trial configs of a list, grid or random group, in order.

    The contract (`base` is already a config dict and is never changed):

    - list (`configs`): one trial per entry, in order; an entry's keys are dotted paths or
      nested objects, and a nested object changes only the keys it names (the others of `base`
      stay);
    - grid (`search.method == "grid"`): one trial per combination of the parameters' values,
      the first parameter changing slowest; a `value` parameter is a single value;
    - random: `search.num_trials` trials, each parameter drawn independently: `values`
      uniformly, `min`/`max` by its `distribution` (see the module docstring: `int_uniform`
      includes both ends, `log_uniform_values` is uniform in log space). The same `seed` gives
      the same trials, another seed other ones; nothing else may change them;
    - trial `i` (from 0) is named `f"{group['name']}-{i:03d}"`.

    Example (a grid of 2 x 2 trials):

        >>> group = {"name": "g", "base": {"train_args": {"epochs": 1}}, "search": {"method": "grid",
        ...          "parameters": {"train_args.learning_rate": {"values": [0.1, 0.01]},
        ...                         "network_args.layer_size": {"values": [8, 16]}}}}
        >>> [(t["name"], t["train_args"]["learning_rate"], t["network_args"]["layer_size"])
        ...  for t in expand_group(group)]
        [('g-000', 0.1, 8), ('g-001', 0.1, 16), ('g-002', 0.01, 8), ('g-003', 0.01, 16)]

    Notebook: "Exercise: from an experiment group to trial configs" (and why a Bayesian group
    has no list).

    Raises:
        ValueError: for a Bayesian group or a malformed parameter, saying which and what to do.
    """
    raise NotImplementedError("Lab 4 exercise: implement expand_group: The trial configs of a list, grid or random group, in order. See notebooks/lab4.ipynb, section \"Exercise: from an experiment group to trial configs\".")


def _default_distribution(low: Any, high: Any) -> str:
    """W&B's rule: integers for integer bounds, otherwise uniform."""
    return "int_uniform" if isinstance(low, int) and isinstance(high, int) else "uniform"


def tune_search_space(group: dict[str, Any]) -> dict[str, Any]:
    """Ray Tune's search space for a group's `search`: one entry per parameter, keyed by its dotted path.

    Tune (and Optuna, which a Bayesian group hands it to) draws every trial's values from this
    space, so each entry must draw what the parameter's spec means, exactly as `expand_group`
    draws a random group: a `value` is fixed (the value itself); `values` are the only choices,
    each as likely; `min`/`max` is a range drawn by its `distribution` (`_default_distribution`
    when none is given): `uniform`, `int_uniform` (whole numbers, **both** ends possible) or
    `log_uniform_values` (each factor of ten as likely as the next).

    Example::

        >>> space = tune_search_space({"search": {"method": "bayes", "parameters": {
        ...     "train_args.learning_rate": {"min": 1e-4, "max": 1e-2, "distribution": "log_uniform_values"},
        ...     "network_args.num_layers": {"min": 1, "max": 3},
        ...     "network_args.layer_size": {"values": [64, 128]}}}})
        >>> sorted(space)
        ['network_args.layer_size', 'network_args.num_layers', 'train_args.learning_rate']
        >>> sorted({int(n) for n in space["network_args.num_layers"].sample(size=200, random_state=0)})
        [1, 2, 3]

    Notebook: "Exercise: the sweep's search space and scheduler, then the sweep live on Ray".

    Hint: `ray.tune`'s search space functions; read which end of a range each of them can return.
    """
    raise NotImplementedError("Lab 4 exercise: implement tune_search_space: Ray Tune's search space for a group's `search`: one entry per parameter, keyed by its dotted path. See notebooks/lab4.ipynb, section \"Exercise: the sweep's search space and scheduler, then the sweep live on Ray\".")


def tune_scheduler(group: dict[str, Any]) -> ASHAScheduler | None:
    """The ASHA scheduler that stops a group's trailing trials early; None when the group keeps them all.

    `group["early_stop_trials"]` says which: false or absent, None; true, ASHA with
    `EARLY_STOP_DEFAULTS`; an object (`{"grace_period": 2}`), those defaults with its keys instead.
    Each trial reports its Keras logs after every epoch, numbered from 1
    (`tune.report({"val_loss": ..., "epoch": 3})`, see `run_group.train_trial`). The scheduler:

    - compares trials by the group's `metric`, better by its `mode`, at the epochs they report;
    - lets each trial train `grace_period` epochs before the first comparison, then compares
      again at `reduction_factor` times as many epochs (keeping the best 1 / `reduction_factor`);
    - counts up to the most epochs a trial of the group may train (`train_args.epochs`, or
      `TRAIN_ARG_DEFAULTS`'s where a config leaves it out): the largest value the search's
      `train_args.epochs` parameter can take; without one, the most among a list group's trials,
      or the base config's;
    - never stops a trial only because it reached that last epoch: the trial still has to
      report its test metrics.

    Example: metric `val_accuracy`, mode `max`, base `train_args.epochs` 8 and
    `"early_stop_trials": {"grace_period": 2}` give a scheduler that first compares trials'
    validation accuracy (higher is better) after epoch 2, then after epochs 4 and 8.

    Notebook: "Exercise: the sweep's search space and scheduler, then the sweep live on Ray".

    Hint: `ray.tune.schedulers.ASHAScheduler`.
    """
    raise NotImplementedError("Lab 4 exercise: implement tune_scheduler: The ASHA scheduler that stops a group's trailing trials early; None when the group keeps them all. See notebooks/lab4.ipynb, section \"Exercise: the sweep's search space and scheduler, then the sweep live on Ray\".")


def load_group(source: str | Path) -> dict[str, Any]:
    """Read and check a group file (or inline JSON); `base` comes back as a config dict.

    Raises:
        ConfigError: naming the file and the key that is wrong, and what it should be.
    """
    from text_recognizer.training.experiment_config import parse_config

    if isinstance(source, str) and source.lstrip().startswith("{"):
        text, where, folder = source, "the inline experiment group", Path.cwd()
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"No experiment group file at {path}. Give a path such as "
                              "experiments/lab4_mlp_sweep.json or inline JSON starting with '{'.")
        text, where, folder = path.read_text(), str(path), path.parent
    try:
        group = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"{where} is not valid JSON: {error.msg} at line {error.lineno}.") from None
    if not isinstance(group, dict):
        raise ConfigError(f"{where} must be a JSON object with 'name', 'base' and 'configs' or 'search'.")
    unknown = sorted(set(group) - GROUP_KEYS)
    if unknown:
        raise ConfigError(f"{where} has unknown keys {unknown}; allowed: {sorted(GROUP_KEYS)}.")
    if not isinstance(group.get("name"), str) or not group["name"]:
        raise ConfigError(f"{where} needs a 'name' (a string): it names the group's runs.")
    if ("configs" in group) == ("search" in group):
        raise ConfigError(f"{where} needs exactly one of 'configs' (a list of configs) or 'search'.")
    base = group.get("base", {})
    if isinstance(base, str):
        base = json.loads(_read_base(folder / base, where))
    if not isinstance(base, dict):
        raise ConfigError(f"{where}: 'base' must be a config object or the path of a config file.")
    group = {**group, "base": base, "mode": group.get("mode", "min"), "metric": group.get("metric", "val_loss")}
    if group["mode"] not in MODES:
        raise ConfigError(f"{where}: 'mode' must be 'min' or 'max', got {group['mode']!r}.")
    if "configs" in group and not (isinstance(group["configs"], list) and group["configs"]
                                   and all(isinstance(c, dict) for c in group["configs"])):
        raise ConfigError(f"{where}: 'configs' must be a non-empty list of objects.")
    if "search" in group:
        _check_search(group["search"], where)
    _check_early_stop(group, where)
    trials = [] if group.get("search", {}).get("method") == "bayes" else expand_group(group)
    for trial in trials[:1] or [{**base, "name": group["name"]}]:
        parse_config(trial, f"{where} (trial {trial['name']})")  # names the bad key of a bad trial
    return group


def _read_base(path: Path, where: str) -> str:
    if not path.is_file():
        raise ConfigError(f"{where}: base config {path} does not exist (paths are relative to the group file).")
    return path.read_text()


def _check_search(search: Any, where: str) -> None:
    if not isinstance(search, dict) or search.get("method") not in METHODS:
        raise ConfigError(f"{where}: 'search.method' must be one of {list(METHODS)}.")
    parameters = search.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise ConfigError(f"{where}: 'search.parameters' must map dotted keys to {{'values': [...]}} "
                          "or {'min': ..., 'max': ...}.")
    for key, spec in parameters.items():
        if not isinstance(spec, dict) or not ({"value", "values"} & set(spec) or {"min", "max"} <= set(spec)):
            raise ConfigError(f"{where}: parameter {key!r} needs 'value', 'values', or 'min' and 'max'.")
        if spec.get("distribution", "uniform") not in DISTRIBUTIONS:
            raise ConfigError(f"{where}: parameter {key!r}: distribution must be one of {list(DISTRIBUTIONS)}.")
        if search["method"] == "grid" and not {"value", "values"} & set(spec):
            raise ConfigError(f"{where}: grid parameter {key!r} needs 'values' (ranges are for random and bayes).")
    if search["method"] != "grid":
        trials = search.get("num_trials")
        if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
            raise ConfigError(f"{where}: a {search['method']} search needs 'num_trials', a positive integer.")


def _check_early_stop(group: dict[str, Any], where: str) -> None:
    settings = group.get("early_stop_trials", False)
    if isinstance(settings, dict):
        unknown = sorted(set(settings) - set(EARLY_STOP_DEFAULTS))
        if unknown:
            raise ConfigError(f"{where}: 'early_stop_trials' has unknown keys {unknown}; "
                              f"allowed: {sorted(EARLY_STOP_DEFAULTS)}.")
        grace, factor = settings.get("grace_period", 1), settings.get("reduction_factor", 2)
        if not (isinstance(grace, int) and grace >= 1 and isinstance(factor, (int, float)) and factor > 1):
            raise ConfigError(f"{where}: 'early_stop_trials' needs a whole 'grace_period' of at least 1 "
                              "(epochs) and a 'reduction_factor' above 1.")
    elif not isinstance(settings, bool):
        raise ConfigError(f"{where}: 'early_stop_trials' must be true, false or an object such as "
                          '{"grace_period": 2, "reduction_factor": 3}.')
    if settings and not group["metric"].startswith("val_"):
        raise ConfigError(f"{where}: early stopping compares trials after each epoch, on a validation metric; "
                          f"'metric' is {group['metric']!r}: use one such as 'val_loss', or turn early stopping off.")
