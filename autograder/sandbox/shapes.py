"""The parent's check of a reply's form: what each observer of `observers.py` can produce.

The sandbox's observers build values of a fixed form (a prediction is a dict of a container
name, a text and a number...). A record that arrives over the channel is only plain JSON and
arrays (`wire.loads`), but a submission can write any such record itself: `{"ok": "yes"}`, a
prediction whose text is a list, an `each` reply with fewer items than were sent. `problem()`
says what is wrong with such a value before any hidden test sees it; the session then makes
the call `invalid` with that reason, so a test never meets a type it did not expect.

The check is by type, and tolerant of keys it does not know (observers may grow): every known
key that is present must have its type, and the keys tests rely on must be there. Keep it in
step with `observers.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Check = Callable[[Any], "str | None"]


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _optional(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or test(value)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_int_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_int(v) for v in value)


def _record(name: str, required: dict[str, Callable[[Any], bool]],
            optional: dict[str, Callable[[Any], bool]] | None = None) -> Check:
    """A dict with `required` keys (and `optional` ones, when present) of the given types."""
    known = {**required, **(optional or {})}

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return f"{name} is a {type(value).__name__}, not an object"
        for key in required:
            if key not in value:
                return f"{name} has no {key!r}"
        for key, test in known.items():
            if key in value and not test(value[key]):
                return f"{name}'s {key!r} has the wrong type ({type(value[key]).__name__})"
        return None

    return check


def _list_of(name: str, item: Check, most: int | None = None) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return f"{name} is a {type(value).__name__}, not a list"
        if most is not None and len(value) > most:
            return f"{name} has {len(value)} items, more than {most}"
        for index, entry in enumerate(value):
            problem = item(entry)
            if problem:
                return f"item {index} of {name}: {problem}"
        return None

    return check


def _array(value: Any) -> str | None:
    return None if isinstance(value, np.ndarray) else f"a {type(value).__name__} where an array belongs"


def _anything(_value: Any) -> str | None:
    return None  # plain JSON and arrays: `wire.loads` already saw to that


def guarded(inner: Check) -> Check:
    """`observers.guard`'s form: {"ok": true, "value": <inner>} or {"ok": false, "error": "text"}."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict) or type(value.get("ok")) is not bool:
            return "not an {ok, value | error} object"
        if value["ok"]:
            return inner(value["value"]) if "value" in value else "ok without a value"
        return None if isinstance(value.get("error"), str) else "an error that is not a text"

    return check


PREDICTION = _record("the prediction", {"container": _is_str}, {
    "length": _is_int, "text": _optional(_is_str), "text_type": _is_str,
    "confidence": _optional(_is_number), "confidence_type": _is_str,
})
LAYER = _record("a layer", {"class_name": _is_str}, {
    "keras_class": _is_bool, "name": _is_str, "units": _optional(_is_int), "activation": _optional(_is_str),
    "rate": _optional(_is_number), "use_bias": _optional(_is_bool), "target_shape": _is_int_list,
    "max_value": _optional(_is_number), "negative_slope": _optional(_is_number), "threshold": _optional(_is_number),
    "axis": _optional(_is_int),
    "weight_shapes": lambda v: isinstance(v, list) and all(_is_int_list(s) for s in v),
})
_NETWORK_PARTS = {
    "output": guarded(_array),
    "count_params": guarded(lambda v: None if _is_int(v) else "a parameter count that is not an int"),
    "weights": guarded(_list_of("the weights", _array)),
    "layers": guarded(_list_of("the layers", LAYER)),
}
_NETWORK_RECORD = _record("the network", {"type": _is_str, "is_keras_model": _is_bool})


def _network(value: Any) -> str | None:
    problem = _NETWORK_RECORD(value)
    if problem:
        return problem
    for key, check in _NETWORK_PARTS.items():
        if key in value:
            problem = check(value[key])
            if problem:
                return f"the network's {key}: {problem}"
    return None


_HTTP = _record("the response", {"status": _is_int}, {
    "headers": lambda v: isinstance(v, dict) and all(_optional(_is_str)(h) for h in v.values()),
    "text": _is_str,
})

_LAMBDA = _record("the proxy response", {"status": _optional(_is_int)}, {
    "headers": _optional(lambda v: isinstance(v, dict) and all(_optional(_is_str)(h) for h in v.values())),
    "text": _optional(_is_str), "is_base64": _optional(_is_bool),
})
_VERDICT = _record("a feature's verdict", {}, {
    "statistic": _optional(_is_number), "p_value": _optional(_is_number), "psi": _optional(_is_number),
    "drifted": _optional(_is_bool),
})


def _drift_report(value: Any) -> str | None:
    problem = _record("the drift report", {"features": lambda v: isinstance(v, dict)}, {
        "feature_order": lambda v: isinstance(v, list) and all(_is_str(n) for n in v),
        "drifted": _optional(lambda v: isinstance(v, list) and all(_is_str(n) for n in v)),
        "score": _optional(_is_number), "window_size": _optional(_is_int),
    })(value)
    if problem:
        return problem
    for name, verdict in value["features"].items():
        problem = _VERDICT(verdict)
        if problem:
            return f"feature {name!r}: {problem}"
    return None


_TUNE_DOMAIN = _record("a search space entry", {}, {
    "domain": _is_str, "sampler": _is_str, "samples": lambda v: isinstance(v, list),
})
_TUNE_SPACE = _record("the search space", {})


def _tune_space(value: Any) -> str | None:
    problem = _TUNE_SPACE(value)
    if problem:
        return problem
    for key, entry in value.items():
        problem = _TUNE_DOMAIN(entry)
        if problem:
            return f"parameter {key!r}: {problem}"
    return None


_TUNE_SCHEDULER = _optional(lambda v: _record("the scheduler", {"type": _is_str}, {
    "time_attr": _optional(_is_str), "metric": _optional(_is_str), "mode": _optional(_is_str),
    "max_t": _optional(_is_number), "stop_last_trials": _is_bool,
    "rungs": lambda r: isinstance(r, list) and all(isinstance(b, list) and all(_optional(_is_number)(m) for m in b)
                                                   for b in r),
})(v) is None)

_ARTIFACT = _record("an artifact", {}, {"name": _is_str, "type": _is_str, "metadata": lambda v: isinstance(v, dict),
                                       "files": lambda v: isinstance(v, list) and all(_is_str(f) for f in v)})
_OFFLINE_RUN = _record("an offline run", {"folder": _is_str}, {
    "run_id": _is_str, "project": _is_str, "name": _is_str, "group": _is_str, "job_type": _is_str,
    "config": lambda v: isinstance(v, dict), "summary": lambda v: isinstance(v, dict),
    "artifacts": lambda v: isinstance(v, list) and all(_ARTIFACT(a) is None for a in v),
})
_OFFLINE_RUNS = _record("the offline runs", {
    "runs": lambda v: _list_of("the runs", guarded(_OFFLINE_RUN), most=8)(v) is None})


OBSERVATIONS: dict[str, Check] = {
    "value": _anything,
    "array": _array,
    "arrays": _list_of("the arrays", _array, most=16),
    "prediction": PREDICTION,
    "predictions": _list_of("the predictions", PREDICTION),
    "network": _network,
    "http_response": _HTTP,
    "lambda_response": _LAMBDA,
    "drift_report": _drift_report,
    "tune_space": _tune_space,
    "tune_scheduler": lambda v: None if _TUNE_SCHEDULER(v) else "not a scheduler record",
    "offline_wandb_runs": _OFFLINE_RUNS,
}


def problem(observe: str, value: Any, each: int | None = None) -> str | None:
    """What is wrong with `value` as the observation `observe` (None when its form is right).

    `each`: the call was made once per item of a list of that many items; the value is then one
    guarded observation per item.
    """
    check = OBSERVATIONS.get(observe, _anything)
    if each is None:
        return check(value)
    if not isinstance(value, list) or len(value) != each:
        count = len(value) if isinstance(value, list) else type(value).__name__
        return f"{count} answers for {each} inputs"
    item = guarded(check)
    for index, entry in enumerate(value):
        found = item(entry)
        if found:
            return f"answer {index}: {found}"
    return None
