"""Lab 2's hidden suite: LeNet, extract_windows, the all-convolutional line CNN.

| test | points | how it is checked (always in the parent, from plain data) |
|---|---|---|
| LeNet: returns a keras.Model | 5 | per argument set, believed only of a verified network |
| LeNet: layers and logits follow the specification | 20 | the reported weights, loaded into the reference LeNet in the parent, reproduce the reported logits |
| LeNet: logits have shape (batch, num_classes) | 10 | per verified argument set |
| LeNet: parameter count | 5 | the reference count, also reported by Keras |
| extract_windows: the windows | 25 | per argument set, the returned array equals the parent's numpy windows |
| Line CNN all-conv: same features as the sliding windows | 25 | the reported weights, put into the reference *sliding-window* network in the parent, give the reported features |
| Line CNN all-conv: parameter count | 10 | per verified argument set: as many weights as the sliding-window network |

No leaderboard: Lab 2 has no deployed model of its own to rank.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.reference import reference_module
from autograder.results import TestResult
from autograder.sandbox.session import ProbeOutcome
from autograder.suites.base import Plan, Probe, Scored, Suite, SuiteContext, outcome_message
from autograder.suites.reference_nets import check_network

NETWORK_IMPORTS = ("keras", "text_recognizer", "text_recognizer.networks")
LENET_ARGUMENT_SETS = {
    "A": {"input_shape": [28, 28], "num_classes": 7, "conv_dim": 4, "fc_dim": 16, "dropout": 0.3},
    "B": {"input_shape": [20, 16, 1], "num_classes": 3, "conv_dim": 2, "fc_dim": 8, "dropout": 0.0},
}
WINDOW_CASES = [
    {"window_width": 6, "window_stride": 3, "padding": "same"},
    {"window_width": 8, "window_stride": 4, "padding": "valid"},
    {"window_width": 5, "window_stride": 2, "padding": "same"},
    {"window_width": 7, "window_stride": 7, "padding": "valid"},
]
WINDOW_IMAGES_SHAPE = (2, 7, 23)
ALL_CONV_ARGUMENT_SETS = {
    "A": {"input_shape": [28, 112], "window_width": 28, "window_stride": 14, "padding": "same",
          "conv_dim": 2, "fc_dim": 8, "dropout": 0.1},
    "B": {"input_shape": [12, 40], "window_width": 10, "window_stride": 4, "padding": "valid",
          "conv_dim": 3, "fc_dim": 5, "dropout": 0.0},
}

T_MODEL = "LeNet: returns a keras.Model"
T_LAYERS = "LeNet: layers and logits follow the specification"
T_SHAPE = "LeNet: logits have shape (batch, num_classes)"
T_PARAMS = "LeNet: parameter count"
T_WINDOWS = "extract_windows: returns the windows of every line"
T_ALL_CONV = "Line CNN all-conv: same features as the sliding windows with the same weights"
T_ALL_CONV_PARAMS = "Line CNN all-conv: parameter count"
POINTS = {T_MODEL: 5, T_LAYERS: 20, T_SHAPE: 10, T_PARAMS: 5, T_WINDOWS: 25, T_ALL_CONV: 25,
          T_ALL_CONV_PARAMS: 10}


def reference_windows(images: np.ndarray, window_width: int, window_stride: int, padding: str) -> np.ndarray:
    """The windows, computed in numpy from the definition (zero columns split left-smaller)."""
    width = images.shape[2]
    if padding == "same":
        count = -(-width // window_stride)
        total = max((count - 1) * window_stride + window_width - width, 0)
        left = total // 2
        images = np.pad(images, ((0, 0), (0, 0), (left, total - left)))
    else:
        count = (width - window_width) // window_stride + 1
    return np.stack([images[:, :, i * window_stride: i * window_stride + window_width] for i in range(count)],
                    axis=1)


def _line(ok: bool, call: str, message: str) -> str:
    return f"{'ok  ' if ok else 'FAIL'} {call}" + (f": {message}" if message and not ok else "")


class Lab2Suite(Suite):
    lab = 2
    title = "Lab 2: convolutional networks, LeNet and line CNNs"
    probes_file = Path(__file__).with_name("probes.py")
    metric = ("Accuracy", "desc")

    def catalog(self) -> list[tuple[str, float]]:
        return [(name, float(points)) for name, points in POINTS.items()]

    def plan(self, context: SuiteContext) -> Plan:
        rng = np.random.default_rng([context.seed, 21])
        probes: list[Probe] = []
        expected: dict = {"lenet": {}, "all_conv": {}}
        for key, args in LENET_ARGUMENT_SETS.items():
            inputs = rng.uniform(0, 1, size=(3, *args["input_shape"])).astype(np.float32)
            probes.append(Probe(f"lenet/{key}", "lenet", NETWORK_IMPORTS, 60.0, args, {"inputs": inputs}))
            expected["lenet"][key] = {"args": args, "inputs": inputs}
        images = rng.normal(0, 1, size=WINDOW_IMAGES_SHAPE).astype(np.float32)
        probes.append(Probe("extract_windows", "extract_windows", NETWORK_IMPORTS, 60.0,
                            {"cases": WINDOW_CASES}, {"images": images}))
        expected["windows"] = [reference_windows(images.astype(np.float64), **case) for case in WINDOW_CASES]
        for key, args in ALL_CONV_ARGUMENT_SETS.items():
            inputs = rng.uniform(0, 1, size=(2, *args["input_shape"])).astype(np.float32)
            probes.append(Probe(f"all_conv/{key}", "all_conv_features", NETWORK_IMPORTS, 60.0, args,
                                {"inputs": inputs}))
            expected["all_conv"][key] = {"args": args, "inputs": inputs}
        return Plan(probes, expected)

    def score(self, outcomes: dict[str, ProbeOutcome], plan: Plan) -> Scored:
        tests = self._score_lenet(outcomes, plan.expected["lenet"])
        tests.append(self._score_windows(outcomes.get("extract_windows"), plan.expected["windows"]))
        tests += self._score_all_conv(outcomes, plan.expected["all_conv"])
        return Scored(tests, [])

    def _score_lenet(self, outcomes, expected) -> list[TestResult]:
        lenet = reference_module("text_recognizer.networks.lenet").lenet
        names = (T_MODEL, T_LAYERS, T_SHAPE, T_PARAMS)
        passed = {name: [] for name in names}
        lines = {name: [] for name in names}
        for key, case in expected.items():
            args = case["args"]
            call = (f"lenet({tuple(args['input_shape'])}, num_classes={args['num_classes']}, conv_dim="
                    f"{args['conv_dim']}, fc_dim={args['fc_dim']}, dropout={args['dropout']})")
            check = check_network(outcomes.get(f"lenet/{key}"), lambda args=args: lenet(
                tuple(args["input_shape"]), args["num_classes"], conv_dim=args["conv_dim"],
                fc_dim=args["fc_dim"], dropout=args["dropout"]), case["inputs"])
            wanted_shape = (len(case["inputs"]), args["num_classes"])
            results = {
                T_MODEL: (check.verified and check.is_keras_model, "not a verified keras.Model"),
                T_LAYERS: (check.verified, ""),
                T_SHAPE: (check.verified and check.output_shape == wanted_shape,
                          f"logits shape {check.output_shape}, expected {wanted_shape}"),
                T_PARAMS: (check.verified and check.reported_parameters == check.parameters,
                           f"Keras reports {check.reported_parameters}, expected {check.parameters}"),
            }
            for name, (ok, message) in results.items():
                passed[name].append(ok)
                lines[name].append(_line(ok, call, check.message or message))
        return [TestResult(name, POINTS[name] * sum(oks) / len(oks), POINTS[name], "\n".join(lines[name]))
                for name, oks in passed.items()]

    def _score_windows(self, outcome, expected) -> TestResult:
        calls = outcome.result.get("calls") if outcome is not None and outcome.ok else None
        if not isinstance(calls, list) or len(calls) != len(expected):
            return TestResult(T_WINDOWS, 0.0, POINTS[T_WINDOWS], outcome_message(outcome) or "no windows reported")
        right, lines = 0, []
        for case, call, wanted in zip(WINDOW_CASES, calls, expected, strict=True):
            text = (f"extract_windows(images {WINDOW_IMAGES_SHAPE}, {case['window_width']}, "
                    f"{case['window_stride']}, {case['padding']!r})")
            value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
            if not isinstance(value, np.ndarray):
                error = call.get("error") if isinstance(call, dict) else None
                lines.append(_line(False, text, f"raised {str(error)[:300]}" if error else "no array returned"))
                continue
            if value.shape != wanted.shape:
                lines.append(_line(False, text, f"shape {value.shape}, expected {wanted.shape}"))
                continue
            ok = bool(np.allclose(value.astype(np.float64), wanted, atol=1e-5))
            right += ok
            lines.append(_line(ok, text, "the windows hold other pixels than the columns they should"))
        return TestResult(T_WINDOWS, POINTS[T_WINDOWS] * right / len(expected), POINTS[T_WINDOWS], "\n".join(lines))

    def _score_all_conv(self, outcomes, expected) -> list[TestResult]:
        features = reference_module("text_recognizer.networks.line_cnn").line_cnn_features
        passed = {T_ALL_CONV: [], T_ALL_CONV_PARAMS: []}
        lines = {name: [] for name in passed}
        for key, case in expected.items():
            args = case["args"]
            call = "line_cnn_all_conv_features(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")"
            check = check_network(outcomes.get(f"all_conv/{key}"), lambda args=args: features(
                tuple(args["input_shape"]), args["window_width"], args["window_stride"], args["padding"],
                args["conv_dim"], args["fc_dim"], args["dropout"], all_conv=False), case["inputs"], reshape=True)
            params_ok = check.verified and check.reported_parameters == check.parameters
            for name, ok, message in ((T_ALL_CONV, check.verified, check.message),
                                      (T_ALL_CONV_PARAMS, params_ok, check.message or
                                       f"Keras reports {check.reported_parameters}, expected {check.parameters}")):
                passed[name].append(ok)
                lines[name].append(_line(ok, call, message))
        return [TestResult(name, POINTS[name] * sum(oks) / len(oks), POINTS[name], "\n".join(lines[name]))
                for name, oks in passed.items()]


SUITE = Lab2Suite()
