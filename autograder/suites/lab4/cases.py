"""Lab 4's hidden inputs, drawn from the installation's secret seed, and the reference answers.

Everything here is plain data: the groups, records and device requests that go into the
sandbox, and the reference package's own answers, computed in the parent.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.suites.reference import reference_module

WORDS = ["alpha", "beta", "gamma", "delta", "kappa", "omega", "sigma", "theta"]


def groups_module():
    return reference_module("text_recognizer.training.experiment_group")


def base_config(rng: np.random.Generator) -> dict:
    """A nested config with hidden section and key names."""
    sections = rng.choice(WORDS, size=3, replace=False).tolist()
    return {"name": "base", "kind": str(rng.choice(WORDS)),
            **{section: {f"{key}_{i}": int(rng.integers(1, 99)) for i, key in
                         enumerate(rng.choice(WORDS, size=2, replace=False).tolist())} for section in sections}}


def set_dotted_cases(seed: int) -> list[dict]:
    """(config, key, value) cases: existing and new keys, deep new paths, a top-level key."""
    rng = np.random.default_rng([seed, 41])
    cases = []
    for _ in range(3):
        config = base_config(rng)
        section = next(key for key, value in config.items() if isinstance(value, dict))
        existing = next(iter(config[section]))
        cases += [
            {"config": config, "key": f"{section}.{existing}", "value": float(rng.uniform(0, 1))},
            {"config": config, "key": f"{section}.{rng.choice(WORDS)}_new", "value": str(rng.choice(WORDS))},
            {"config": config, "key": f"{rng.choice(WORDS)}_x.{rng.choice(WORDS)}_y.z", "value": int(rng.integers(9))},
            {"config": config, "key": "kind", "value": [1, 2]},
        ]
    return cases


def set_dotted_error_case(seed: int) -> dict:
    rng = np.random.default_rng([seed, 42])
    config = base_config(rng)
    return {"config": config, "key": f"kind.{rng.choice(WORDS)}", "value": 1}


def list_groups(seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 43])
    groups = []
    for index in range(2):
        base = base_config(rng)
        section = next(key for key, value in base.items() if isinstance(value, dict))
        key = next(iter(base[section]))
        entries = [
            {f"{section}.{key}": int(rng.integers(100, 200))},
            {section: {f"{rng.choice(WORDS)}_n": float(rng.uniform(0, 1))}, "kind": "listed"},
            {},
            {f"new_{index}.deep.leaf": True, section: {key: -1}},
        ]
        groups.append({"name": f"{rng.choice(WORDS)}_list{index}", "base": base, "configs": entries})
    return groups


def grid_groups(seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 44])
    groups = []
    for index in range(2):
        base = base_config(rng)
        sections = [key for key, value in base.items() if isinstance(value, dict)]
        parameters = {
            f"{sections[0]}.rate": {"values": [float(round(v, 4)) for v in rng.uniform(0, 1, size=3)]},
            f"{sections[1]}.{next(iter(base[sections[1]]))}": {"values": rng.integers(1, 50, size=2).tolist()},
            f"{sections[2]}.mode": {"value": str(rng.choice(WORDS))},
        }
        if index == 1:
            parameters["kind"] = {"values": rng.choice(WORDS, size=2, replace=False).tolist()}
        groups.append({"name": f"grid{index}_{rng.choice(WORDS)}", "base": base,
                       "search": {"method": "grid", "parameters": parameters}})
    return groups


def random_group(seed: int) -> dict:
    rng = np.random.default_rng([seed, 45])
    low = 10.0 ** -int(rng.integers(5, 7))
    return {"name": f"rand_{rng.choice(WORDS)}", "base": base_config(rng), "search": {
        "method": "random", "num_trials": 60, "parameters": {
            "train.rate": {"min": low, "max": low * 1e4, "distribution": "log_uniform_values"},
            "train.depth": {"min": int(rng.integers(1, 3)), "max": int(rng.integers(4, 6))},
            "net.dropout": {"min": 0.1, "max": float(rng.uniform(0.3, 0.6))},
            "net.width": {"values": rng.integers(8, 512, size=3).tolist()},
            "net.fixed": {"value": "kept"},
        }}}


def bayes_group(seed: int) -> dict:
    return {"name": "bayes", "base": {}, "search": {"method": "bayes", "num_trials": 5, "parameters": {
        "train.rate": {"min": 1e-4, "max": 1e-1}}}}


def _record(rng: np.random.Generator, run_id: str, value, status: str = "finished", minute: int | None = None):
    minute = int(rng.integers(0, 59)) if minute is None else minute
    return {"run_id": run_id, "name": f"trial-{run_id}", "status": status, "group": "hidden",
            "started_at": f"2026-0{1 + int(rng.integers(0, 8))}-1{int(rng.integers(0, 9))}T10:{minute:02d}:00+00:00",
            "metrics": {"val_loss": value, "other": float(rng.uniform(0, 1))}}


def direction_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 46])
    cases = []
    for mode in ("min", "max"):
        records = [_record(rng, f"d{mode}{i}", float(rng.uniform(0.1, 3.0))) for i in range(7)]
        cases.append({"records": records, "metric": "val_loss", "mode": mode})
    return cases


def never_win_cases(seed: int) -> list[dict]:
    """Better values on runs that must not win: failed, stopped, running, NaN, inf, None, a string, a bool."""
    rng = np.random.default_rng([seed, 47])
    cases = []
    for mode in ("min", "max"):
        best = -1e9 if mode == "min" else 1e9
        records = [_record(rng, f"ok{i}", float(rng.uniform(0.5, 2.0))) for i in range(3)]
        records += [_record(rng, "failed", best, status="failed"), _record(rng, "stopped", best, status="stopped"),
                    _record(rng, "running", best, status="running"), _record(rng, "nan", math.nan),
                    _record(rng, "inf", -math.inf if mode == "min" else math.inf), _record(rng, "none", None),
                    _record(rng, "text", "0.0"), _record(rng, "bool", mode == "max")]
        records.append({**_record(rng, "missing", 0.0), "metrics": {"other": 0.0}})
        order = rng.permutation(len(records))
        cases.append({"records": [records[i] for i in order], "metric": "val_loss", "mode": mode})
    return cases


def tie_cases(seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 48])
    value = float(round(rng.uniform(0.2, 0.9), 3))
    later = _record(rng, "later", value, minute=50)
    later["started_at"] = "2026-03-02T10:50:00+00:00"
    earlier = {**_record(rng, "earlier", value), "started_at": "2026-03-02T09:05:00+00:00"}
    worse = _record(rng, "worse", value + 0.5)
    return [{"records": [later, worse, earlier], "metric": "val_loss", "mode": mode} for mode in ("min",)] + [
        {"records": [worse, later, earlier], "metric": "val_loss", "mode": "min"}]


def none_case(seed: int) -> dict:
    rng = np.random.default_rng([seed, 49])
    return {"records": [_record(rng, "f", 0.1, status="failed"), _record(rng, "n", math.nan)],
            "metric": "val_loss", "mode": "min"}


def select(case: dict):
    """The reference's winner (its run id), or None."""
    best = reference_module("text_recognizer.training.selection").select_best_run(
        case["records"], case["metric"], case["mode"])
    return None if best is None else best["run_id"]


def resource_cases(seed: int) -> list[tuple[bool, int]]:
    rng = np.random.default_rng([seed, 50])
    return [(bool(gpu), int(rng.integers(1, 9))) for gpu in (True, False, True, False)]


def environment_cases(seed: int) -> list[tuple[list, int]]:
    rng = np.random.default_rng([seed, 51])
    return [([], int(rng.integers(1, 5))), ([], 1), ([int(rng.integers(0, 8))], int(rng.integers(1, 5))),
            ([str(i) for i in sorted(rng.choice(8, size=2, replace=False).tolist())], int(rng.integers(1, 9)))]


def tune_space_group(seed: int) -> dict:
    """A Bayesian group with one parameter of each kind, under hidden names and bounds."""
    rng = np.random.default_rng([seed, 52])
    low = 10.0 ** -int(rng.integers(4, 7))
    names = rng.choice(WORDS, size=7, replace=False).tolist()
    first = int(rng.integers(1, 4))
    parameters = {
        f"train.{names[0]}": {"min": low, "max": low * 10.0 ** int(rng.integers(3, 5)),
                              "distribution": "log_uniform_values"},
        f"train.{names[1]}": {"min": first, "max": first + int(rng.integers(2, 5)), "distribution": "int_uniform"},
        f"net.{names[2]}": {"min": float(round(rng.uniform(0.0, 0.2), 3)),
                            "max": float(round(rng.uniform(0.4, 0.9), 3)), "distribution": "uniform"},
        f"net.{names[3]}": {"values": rng.choice(512, size=int(rng.integers(3, 6)), replace=False).tolist()},
        f"net.{names[4]}": {"value": str(rng.choice(WORDS))},
        f"net.{names[5]}": {"min": int(rng.integers(1, 4)), "max": int(rng.integers(5, 8))},  # integers by default
        f"train.{names[6]}": {"min": 0.5, "max": float(round(rng.uniform(2.0, 4.0), 2))},  # uniform by default
    }
    return {"name": f"space_{rng.choice(WORDS)}", "base": base_config(rng), "metric": "val_loss", "mode": "min",
            "search": {"method": "bayes", "num_trials": 5, "parameters": parameters}}


def scheduler_groups(seed: int) -> list[dict]:
    """Groups that early-stop their trials in each way the contract names (and one that does not)."""
    rng = np.random.default_rng([seed, 53])

    def base(epochs: int | None) -> dict:
        config = base_config(rng)
        config["train_args"] = {"batch_size": 32} if epochs is None else {"epochs": epochs, "batch_size": 32}
        return config

    grace, factor = int(rng.integers(2, 4)), int(rng.integers(3, 5))
    listed = [{"train_args.epochs": int(rng.integers(5, 9))}, {"train_args": {"epochs": int(rng.integers(12, 30))}}, {}]
    return [
        {"name": "listed", "base": base(int(rng.integers(3, 6))), "configs": listed, "metric": "val_accuracy",
         "mode": "max", "early_stop_trials": True},
        {"name": "ranged", "base": base(4), "metric": "val_cer", "mode": "min",
         "early_stop_trials": {"grace_period": grace, "reduction_factor": factor},
         "search": {"method": "bayes", "num_trials": 6, "parameters": {
             "train_args.epochs": {"min": int(rng.integers(6, 10)), "max": int(rng.integers(20, 40))},
             "train_args.learning_rate": {"min": 1e-4, "max": 1e-2, "distribution": "log_uniform_values"}}}},
        {"name": "chosen", "base": base(None), "metric": "val_loss", "mode": "min",
         "early_stop_trials": {"reduction_factor": factor},
         "search": {"method": "random", "num_trials": 3, "parameters": {
             "net.width": {"values": [8, 16]}}}},
        {"name": "kept", "base": base(6), "metric": "val_loss", "mode": "min", "early_stop_trials": False,
         "search": {"method": "grid", "parameters": {"net.width": {"values": [8, 16]}}}},
    ]


def _flat(config: dict, prefix: str = "") -> dict:
    """A nested config under dotted keys (lists and other values kept), as the contract says."""
    flat = {}
    for key, value in config.items():
        flat.update(_flat(value, f"{prefix}{key}.") if isinstance(value, dict) and value else {f"{prefix}{key}": value})
    return flat


def _run_id(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz0123456789"), size=8).tolist())


def tracking_start_cases(seed: int) -> list[dict]:
    """`start_wandb_run` inputs (`call`) and what the offline run must record (`expected`): with
    a group and a project, with neither (the default project), and with a run left open before."""
    rng = np.random.default_rng([seed, 54])
    default_project = reference_module("text_recognizer.training.tracking").PROJECT
    cases = []
    for group, project, leftover in ((True, True, False), (False, False, False), (True, True, True)):
        config = base_config(rng)
        section = next(key for key, value in config.items() if isinstance(value, dict))
        config[section][f"{rng.choice(WORDS)}_rate"] = float(rng.uniform(1e-4, 1e-1))
        config[section]["inner"] = {"sizes": rng.integers(1, 64, size=3).tolist(), "on": bool(rng.integers(2))}
        config["name"] = f"{rng.choice(WORDS)}_{rng.integers(100)}"
        call = {"config": config, "run_id": _run_id(rng), "group": f"{rng.choice(WORDS)}_sweep" if group else None,
                "project": f"{rng.choice(WORDS)}-project" if project else None, "leftover": leftover}
        expected = {"run_id": call["run_id"], "name": config["name"], "project": call["project"] or default_project,
                    "group": call["group"] or "", "job_type": "train", "config": _flat(config)}
        cases.append({"call": call, "expected": expected})
    return cases


def tracking_record_cases(seed: int) -> list[dict]:
    """`log_final_results` inputs: hidden metrics, two files and an artifact name."""
    rng = np.random.default_rng([seed, 55])
    cases = []
    for _ in range(2):
        names = rng.choice(WORDS, size=3, replace=False).tolist()
        metrics = {f"test_{names[0]}": float(rng.uniform(0, 1)), f"val_{names[1]}": float(rng.uniform(0, 3)),
                   "epochs_run": float(rng.integers(1, 20))}
        stem = str(names[2])
        files = {f"{stem}.weights.h5": f"weights {rng.integers(1 << 30)}", f"{stem}.json": '{"network": "mlp"}'}
        cases.append({"metrics": metrics, "files": files, "artifact_name": f"{stem}-{_run_id(rng)}"})
    return cases
