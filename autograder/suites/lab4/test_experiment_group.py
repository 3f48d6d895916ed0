"""`set_dotted` and `expand_group` on hidden configs and groups, against the reference package."""

from __future__ import annotations

import math

from autograder.pipeline.marks import graded
from autograder.suites.lab4 import cases

MODULE = "text_recognizer.training.experiment_group"
IMPORTS = (MODULE,)
HIDDEN = "Checked on hidden configs and groups: beyond the figures above, no details are shown."


def raised_value_error(reply) -> bool:
    """Whether the call raised ValueError (or a subclass the student named *ValueError)."""
    return reply.status == "error" and str((reply.error or {}).get("type", "")).endswith("ValueError")


def error_path_credit(raised: bool, happy_right: int) -> int:
    """The error case's point: only beside right happy-path answers in the same test (a function
    that always raises ValueError has learnt nothing)."""
    return int(raised and happy_right > 0)


def expand(sandbox, groups: list[dict], seed: int = 0) -> list:
    """One `expand_group(group, seed)` call per group: a list of {ok, value | error}."""
    reply = sandbox.call(f"{MODULE}:expand_group", groups, seed, each=True, imports=IMPORTS, timeout=60)
    calls = reply.value if reply.ok and isinstance(reply.value, list) else None
    if calls is None or len(calls) != len(groups):
        raise AssertionError(f"expand_group did not run: {reply.message(student_visible=False)}")
    return calls


def _score(calls: list, expected: list, feedback, what: str) -> None:
    right = sum(isinstance(c, dict) and c.get("ok") is True and c.get("value") == e for c, e in zip(calls, expected))
    for call in calls:
        if isinstance(call, dict) and call.get("ok") is False:
            feedback.say(f"raised {str(call.get('error', ''))[:200]}")
            break
    feedback.partial(right / len(expected), f"{right} of {len(expected)} {what} right.")
    assert right == len(expected), f"some {what} differ from the expected trial configs"


@graded("set_dotted: nested keys set, missing objects created", 6, hidden_message=HIDDEN)
def test_set_dotted(sandbox, seed, feedback):
    reference = cases.groups_module().set_dotted
    items = cases.set_dotted_cases(seed)
    args = [(item["config"], item["key"], item["value"]) for item in items]
    calls = []
    for config, key, value in args:
        answer = sandbox.call(f"{MODULE}:set_dotted", config, key, value, imports=IMPORTS, timeout=30)
        calls.append({"ok": True, "value": answer.value} if answer.ok else {"ok": False, "error": answer.message()})
    expected = [reference(config, key, value) for config, key, value in args]
    error_case = cases.set_dotted_error_case(seed)
    refused = sandbox.call(f"{MODULE}:set_dotted", error_case["config"], error_case["key"], error_case["value"],
                           imports=IMPORTS, timeout=30)
    raised = raised_value_error(refused)
    happy = sum(c.get("ok") is True and c.get("value") == e for c, e in zip(calls, expected))
    right = happy + error_path_credit(raised, happy)
    if not raised:
        feedback.say("a dotted path through a value that is not an object must raise ValueError")
    feedback.partial(right / (len(expected) + 1), f"{right} of {len(expected) + 1} cases right.")
    assert right == len(expected) + 1, "some dotted keys were set wrong"


@graded("expand_group: list groups", 10, hidden_message=HIDDEN)
def test_list_groups(sandbox, seed, feedback):
    groups = cases.list_groups(seed)
    reference = cases.groups_module().expand_group
    _score(expand(sandbox, groups), [reference(group) for group in groups], feedback, "list groups")


@graded("expand_group: grid groups", 10, hidden_message=HIDDEN)
def test_grid_groups(sandbox, seed, feedback):
    groups = cases.grid_groups(seed)
    reference = cases.groups_module().expand_group
    _score(expand(sandbox, groups), [reference(group) for group in groups], feedback, "grid groups")


def _random_problems(group: dict, trials, again, other) -> list[str]:
    """What is wrong with the trials of a random group (empty: nothing)."""
    parameters = group["search"]["parameters"]
    count = group["search"]["num_trials"]
    if not isinstance(trials, list) or len(trials) != count or not all(isinstance(t, dict) for t in trials):
        return [f"expected a list of {count} trial configs"]
    problems = []
    if [t.get("name") for t in trials] != [f"{group['name']}-{i:03d}" for i in range(count)]:
        problems.append("trial names are not <group>-000, <group>-001, ...")
    if trials != again:
        problems.append("the same seed gave different trials")
    if trials == other:
        problems.append("a different seed gave the same trials")

    def at(trial, key):
        node = trial
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    rates = [at(t, "train.rate") for t in trials]
    low, high = parameters["train.rate"]["min"], parameters["train.rate"]["max"]
    if not all(isinstance(r, float) and low <= r <= high for r in rates):
        problems.append("log-uniform values outside their range")
    else:
        middle = math.sqrt(low * high)
        below = sum(r < middle for r in rates) / len(rates)
        if not 0.25 <= below <= 0.75:
            problems.append("log-uniform values are not spread evenly in log space")
    depth = parameters["train.depth"]
    depths = [at(t, "train.depth") for t in trials]
    if not all(type(d) is int and depth["min"] <= d <= depth["max"] for d in depths) or \
            set(depths) != set(range(depth["min"], depth["max"] + 1)):
        problems.append("integer ranges: not whole numbers from min to max, both ends included")
    dropout = parameters["net.dropout"]
    if not all(isinstance(d, float) and dropout["min"] <= d <= dropout["max"] for d in
               (at(t, "net.dropout") for t in trials)):
        problems.append("uniform values outside their range")
    widths = [at(t, "net.width") for t in trials]
    if set(widths) != set(parameters["net.width"]["values"]):
        problems.append("choices: not every value drawn from 'values'")
    if any(at(t, "net.fixed") != "kept" for t in trials):
        problems.append("a 'value' parameter was not set")
    base_keys = {k for k in group["base"] if k != "name"}
    if not all(base_keys <= set(t) for t in trials):
        problems.append("the base config's keys are missing")
    return problems


@graded("expand_group: random groups", 10, hidden_message=HIDDEN)
def test_random_groups(sandbox, seed, feedback):
    group = cases.random_group(seed)
    calls = expand(sandbox, [group, group], seed=0) + expand(sandbox, [group], seed=1)
    first, again, other = (c.get("value") if isinstance(c, dict) and c.get("ok") else None for c in calls)
    if not isinstance(first, list):
        raise AssertionError("expand_group raised on a random group")
    problems = _random_problems(group, first, again, other)
    checks = 8
    for problem in problems:
        feedback.say(problem)
    feedback.partial(max(0, checks - len(problems)) / checks)
    assert not problems, "the random group's trials are not right"


@graded("expand_group: Bayesian groups raise ValueError", 4)
def test_bayes_groups(sandbox, seed):
    # Beside a list group expanded right: raising on everything earns nothing.
    group = cases.list_groups(seed)[0]
    expanded = expand(sandbox, [group])[0]
    assert isinstance(expanded, dict) and expanded.get("ok") is True and \
        expanded.get("value") == cases.groups_module().expand_group(group), \
        "a list group must expand right beside the bayes group that raises"
    reply = sandbox.call(f"{MODULE}:expand_group", cases.bayes_group(seed), imports=IMPORTS, timeout=30)
    assert raised_value_error(reply), "a bayes group must raise ValueError (Optuna picks its trials)"

