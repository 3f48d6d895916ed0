"""`tune_search_space` and `tune_scheduler` on hidden groups: the space is judged by what its
domains draw (the sandbox samples Ray's own domains with a fixed seed), the scheduler by the
settings of Ray's own ASHA, against the reference's scheduler for the same group."""

from __future__ import annotations

import math

from autograder.pipeline.marks import graded
from autograder.sandbox.inside import observers
from autograder.suites.lab4 import cases

MODULE = "text_recognizer.training.experiment_group"
IMPORTS = (MODULE,)
HIDDEN = "Checked on hidden groups: beyond the figures above, no details are shown."


def _kind(spec: dict) -> str:
    if "value" in spec:
        return "fixed"
    if "values" in spec:
        return "choice"
    default = "int_uniform" if isinstance(spec["min"], int) and isinstance(spec["max"], int) else "uniform"
    return spec.get("distribution", default)


def space_problem(spec: dict, entry) -> str | None:
    """What is wrong with one parameter's entry of the space (None: it draws what the spec means)."""
    kind = _kind(spec)
    if not isinstance(entry, dict):
        return "missing"
    if kind == "fixed":
        return None if entry.get("fixed") == spec["value"] and type(entry.get("fixed")) is type(spec["value"]) \
            else "a 'value' must stay that value"
    samples = entry.get("samples")
    if not isinstance(samples, list) or not samples:
        return f"not a Tune domain that can be sampled ({entry.get('domain', 'a fixed value')})"
    if kind == "choice":
        return None if sorted(set(samples)) == sorted(set(spec["values"])) and all(
            type(s) is type(spec["values"][0]) for s in samples) else "draws other values than 'values', or not all"
    low, high = spec["min"], spec["max"]
    if kind == "int_uniform":
        return None if all(type(s) is int for s in samples) and set(samples) == set(range(low, high + 1)) \
            else "an integer range must draw every whole number from min to max, both ends included"
    if not all(isinstance(s, float) and low <= s <= high for s in samples):
        return "draws numbers outside [min, max] (or not floats)"
    middle = math.sqrt(low * high) if kind == "log_uniform_values" else (low + high) / 2
    below = sum(s < middle for s in samples) / len(samples)
    if not 0.4 <= below <= 0.6:
        spread = "in log space" if kind == "log_uniform_values" else "evenly"
        return f"its draws are not spread {spread}: {below:.0%} fall below the middle of the range"
    return None


@graded("tune_search_space: each parameter's Tune domain", 8, hidden_message=HIDDEN)
def test_tune_search_space(sandbox, seed, feedback):
    group = cases.tune_space_group(seed)
    space = sandbox.call(f"{MODULE}:tune_search_space", group, observe="tune_space", imports=IMPORTS,
                         timeout=60).unwrap()
    parameters = group["search"]["parameters"]
    problems = {key: space_problem(spec, space.get(key)) for key, spec in parameters.items()}
    for key, problem in problems.items():
        if problem:
            feedback.say(f"a {_kind(parameters[key])} parameter: {problem}")
    right = sum(problem is None for problem in problems.values())
    feedback.partial(right / len(parameters), f"{right} of {len(parameters)} parameters draw what they mean.")
    assert right == len(parameters), "some parameters' domains draw other values than their specs say"


def _scheduler_problems(got, expected) -> list[str]:
    if expected is None:
        return [] if got is None else ["a group without early stopping must get no scheduler (None)"]
    if not isinstance(got, dict) or got.get("type") != expected["type"]:
        return [f"expected Ray's ASHA scheduler, got {got.get('type') if isinstance(got, dict) else got}"]
    what = {"metric": "the metric it compares", "mode": "which way is better", "time_attr": "what it counts time in",
            "max_t": "the last epoch", "stop_last_trials": "whether it stops a trial at its last epoch",
            "rungs": "the epochs at which it compares trials (grace period, reduction factor)"}
    return [f"{description} is not right" for key, description in what.items() if got.get(key) != expected[key]]


@graded("tune_scheduler: ASHA's settings from the group", 8, hidden_message=HIDDEN)
def test_tune_scheduler(sandbox, seed, feedback):
    groups = cases.scheduler_groups(seed)
    reference = cases.groups_module().tune_scheduler
    reply = sandbox.call(f"{MODULE}:tune_scheduler", groups, each=True, observe="tune_scheduler", imports=IMPORTS,
                         timeout=60)
    calls = reply.value if reply.ok and isinstance(reply.value, list) else None
    if calls is None:
        raise AssertionError(f"tune_scheduler did not run: {reply.message(student_visible=False)}")
    right = 0
    kept_right = False
    for group, call in zip(groups, calls, strict=True):
        expected = observers.tune_scheduler(reference(group))
        problems = _scheduler_problems(call.get("value"), expected) if call.get("ok") else \
            [f"raised {str(call.get('error', ''))[:200]}"]
        for problem in problems:
            feedback.say(f"group {group['name']}: {problem}")
        if expected is None:
            kept_right = not problems
        else:
            right += not problems
    # "No scheduler" earns its share only beside right schedulers: returning None always learns nothing.
    right += int(kept_right and right > 0)
    feedback.partial(right / len(groups), f"{right} of {len(groups)} groups right.")
    assert right == len(groups), "some groups' schedulers are not the ones their settings describe"
