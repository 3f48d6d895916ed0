"""Lab 1's hidden suite: the MLP, predict_on_image, the deployed predictor, the leaderboard.

| test | points | how it is checked (always in the parent, from plain data) |
|---|---|---|
| MLP returns a keras.Model | 4 | per argument set, believed only of a verified network |
| MLP logits shape | 8 | logits rebuilt in numpy from the reported layers and weights match the reported ones, shape (batch, num_classes) |
| MLP layers follow the arguments | 12 | Dense units, relu on hidden layers, Dropout rates, flatten first |
| MLP returns logits | 8 | no softmax/sigmoid at the end; outputs are not rows of probabilities |
| MLP parameter count | 8 | counted from the weight arrays and as reported by Keras |
| predict_on_image: character | 15 | per image: the argmax of the parent's own softmax over the grader network's logits |
| predict_on_image: confidence | 10 | per image: that softmax probability |
| predict_on_image: types | 5 | per image: a (str, float) pair, counted where the character is right |
| deployed predictor: support images | 10 | per image of solutions/tests/support/emnist |
| hidden-set accuracy (public half) | 20 | full marks from `ACCURACY_TARGET`, linear from chance |

Three argument sets (hidden) exercise `mlp`; `predict_on_image` runs with a grader-made network
(the parent knows its weights) so that it is graded even when `mlp` is wrong, once with the
course mapping and once with a shuffled one (the method must use `self.mapping`).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from autograder.paths import SUPPORT_IMAGES_DIR
from autograder.results import LeaderboardEntry, TestResult
from autograder.sandbox.session import ProbeOutcome
from autograder.suites.base import Plan, Probe, Scored, Suite, SuiteContext, outcome_message
from autograder.suites.lab1 import hidden_set as hidden_sets
from autograder.suites.lab1 import network_check as nc

#: Public-half accuracy that earns full marks on the hidden-set test. The deployed reference
#: MLP reaches 0.85 on the substitute's test split; 0.75 leaves room for honest variation.
ACCURACY_TARGET = 0.75
CHANCE = 1 / 62

MLP_ARGUMENT_SETS = {
    "A": {"input_shape": [28, 28], "num_classes": 80, "layer_size": 24, "num_layers": 2, "dropout": 0.25},
    "B": {"input_shape": [14, 14], "num_classes": 10, "layer_size": 12, "num_layers": 3, "dropout": 0.4},
    "C": {"input_shape": [28, 28], "num_classes": 5, "layer_size": 8, "num_layers": 1, "dropout": 0.0},
}
NETWORK_IMPORTS = ("keras", "text_recognizer", "text_recognizer.networks")
MODEL_IMPORTS = NETWORK_IMPORTS + ("text_recognizer.models",)
PREDICTOR_IMPORTS = MODEL_IMPORTS + ("text_recognizer.predictors",)
HIDDEN_UNITS = 32

T_MODEL = "MLP: returns a keras.Model"
T_SHAPE = "MLP: logits have shape (batch, num_classes)"
T_STRUCTURE = "MLP: layers follow the arguments (Flatten, Dense units, relu, Dropout rate)"
T_LOGITS = "MLP: returns logits, not probabilities"
T_PARAMS = "MLP: parameter count"
T_CHARACTER = "predict_on_image: returns the most probable character"
T_CONFIDENCE = "predict_on_image: confidence is the softmax probability"
T_TYPES = "predict_on_image: returns a (str, float) pair"
T_SUPPORT = "Deployed predictor: support images"
T_HIDDEN = "Deployed predictor: accuracy on the hidden set (public half)"
POINTS = {T_MODEL: 4, T_SHAPE: 8, T_STRUCTURE: 12, T_LOGITS: 8, T_PARAMS: 8,
          T_CHARACTER: 15, T_CONFIDENCE: 10, T_TYPES: 5, T_SUPPORT: 10, T_HIDDEN: 20}


def support_images() -> list[Path]:
    """The course's support images, named `<group>_<character>.png`."""
    return sorted(SUPPORT_IMAGES_DIR.glob("*.png"))


def _mlp_call(args: dict) -> str:
    return (f"mlp({tuple(args['input_shape'])}, num_classes={args['num_classes']}, layer_size="
            f"{args['layer_size']}, num_layers={args['num_layers']}, dropout={args['dropout']})")


class Lab1Suite(Suite):
    lab = 1
    title = "Lab 1: character recognition with an MLP"
    probes_file = Path(__file__).with_name("probes.py")
    metric = ("Accuracy", "desc")

    def catalog(self) -> list[tuple[str, float]]:
        have_support = bool(support_images())
        return [(name, float(points if name != T_SUPPORT or have_support else 0))
                for name, points in POINTS.items()]

    def prepare(self, context: SuiteContext) -> None:
        # The renderer draws a progress bar: keep the grader's own output clean.
        with contextlib.redirect_stderr(io.StringIO()):
            hidden_sets.load_or_build(context.state_dir, context.seed)

    # --- what goes into the sandbox ----------------------------------------------------------
    def plan(self, context: SuiteContext) -> Plan:
        rng = np.random.default_rng([context.seed, 11])
        probes: list[Probe] = []
        expected: dict = {"mlp": {}, "predict": {}}
        for key, args in MLP_ARGUMENT_SETS.items():
            inputs = rng.normal(0.0, 1.0, size=(4, *args["input_shape"])).astype(np.float32)
            probes.append(Probe(f"mlp/{key}", "mlp", NETWORK_IMPORTS, 60.0, args, {"inputs": inputs}))
            expected["mlp"][key] = {"args": args, "inputs": inputs}

        mapping = hidden_sets.load_or_build(context.state_dir, context.seed).mapping
        weights = [rng.normal(0, 0.08, (784, HIDDEN_UNITS)), rng.normal(0, 0.1, HIDDEN_UNITS),
                   rng.normal(0, 0.6, (HIDDEN_UNITS, len(mapping))), rng.normal(0, 0.3, len(mapping))]
        weights = [w.astype(np.float32) for w in weights]
        images_uint8, images_float = _distinctive_images(rng, weights)
        shuffled = [mapping[i] for i in rng.permutation(len(mapping))]
        arrays = {"kernel1": weights[0], "bias1": weights[1], "kernel2": weights[2], "bias2": weights[3],
                  "images_uint8": images_uint8, "images_float": images_float}
        for key, used_mapping in (("course_mapping", mapping), ("shuffled_mapping", shuffled)):
            probes.append(Probe(f"predict_on_image/{key}", "predict_on_image", MODEL_IMPORTS, 60.0,
                                {"mapping": used_mapping}, dict(arrays)))
            expected["predict"][key] = _expected_predictions(weights, images_uint8, images_float, used_mapping)

        support = support_images()
        if support:
            files = {f"support/image_{i:02d}.png": path for i, path in enumerate(support)}
            probes.append(Probe("support_images", "support_images", PREDICTOR_IMPORTS, 120.0,
                                {"files": list(files)}, files=files))
            expected["support"] = [path.stem.split("_")[1] for path in support]

        hidden = hidden_sets.load_or_build(context.state_dir, context.seed)
        probes.append(Probe("hidden_set", "hidden_set", PREDICTOR_IMPORTS, 240.0, {"check": 32},
                            {"images": hidden.images}))
        expected["hidden"] = hidden
        return Plan(probes, expected)

    # --- scoring in the parent -----------------------------------------------------------------
    def score(self, outcomes: dict[str, ProbeOutcome], plan: Plan) -> Scored:
        tests = self._score_mlp(outcomes, plan.expected["mlp"])
        tests += self._score_predict(outcomes, plan.expected["predict"])
        tests.append(self._score_support(outcomes.get("support_images"), plan.expected.get("support")))
        hidden_test, leaderboard, private = self._score_hidden(outcomes.get("hidden_set"), plan.expected["hidden"])
        tests.append(hidden_test)
        return Scored(tests, leaderboard, private)

    def _score_mlp(self, outcomes, expected) -> list[TestResult]:
        passed = {name: [] for name in (T_MODEL, T_SHAPE, T_STRUCTURE, T_LOGITS, T_PARAMS)}
        lines = {name: [] for name in passed}
        for key, case in expected.items():
            args, call = case["args"], _mlp_call(case["args"])
            outcome = outcomes.get(f"mlp/{key}")
            checks = _check_mlp(outcome, args, case["inputs"])
            for name, (ok, message) in checks.items():
                passed[name].append(ok)
                lines[name].append(f"{'ok  ' if ok else 'FAIL'} {call}" + (f": {message}" if message else ""))
        return [
            TestResult(name, POINTS[name] * sum(oks) / len(oks), POINTS[name], "\n".join(lines[name]))
            for name, oks in passed.items()
        ]

    def _score_predict(self, outcomes, expected) -> list[TestResult]:
        right = {T_CHARACTER: [], T_CONFIDENCE: [], T_TYPES: []}
        notes = {name: [] for name in right}
        for key, cases in expected.items():
            outcome = outcomes.get(f"predict_on_image/{key}")
            label = "course mapping" if key == "course_mapping" else "a shuffled mapping (use self.mapping)"
            calls = _calls(outcome, len(cases))
            if calls is None:
                for name in right:
                    right[name] += [False] * len(cases)
                    notes[name].append(f"with {label}: {outcome_message(outcome)}")
                continue
            # The expected characters of a probe are all different: one answer for every image
            # is a guess, and a guess earns nothing even where it happens to hit.
            answers = {str(c.get("value", {}).get("character")) for c in calls if isinstance(c.get("value"), dict)}
            distinct = len({case["character"] for case in cases}) == len(cases)
            constant = distinct and len(cases) > 1 and len(answers) == 1
            if constant:
                notes[T_CHARACTER].append(f"with {label}: the same character for every image earns nothing")
            for index, (call, case) in enumerate(zip(calls, cases, strict=True)):
                character_ok, confidence_ok, types_ok, problem = _check_prediction(call, case)
                if constant:
                    character_ok = types_ok = False
                right[T_CHARACTER].append(character_ok)
                right[T_CONFIDENCE].append(confidence_ok)
                right[T_TYPES].append(types_ok)
                where = f"with {label}, image {index} ({case['kind']})"
                for name, ok in ((T_CHARACTER, character_ok), (T_CONFIDENCE, confidence_ok), (T_TYPES, types_ok)):
                    if not ok and len(notes[name]) < 4:
                        notes[name].append(f"{where}: {problem[name]}")
        results = []
        for name, oks in right.items():
            summary = f"{sum(oks)} of {len(oks)} predictions right."
            results.append(TestResult(name, POINTS[name] * sum(oks) / max(1, len(oks)), POINTS[name],
                                      "\n".join([summary, *notes[name]])))
        return results

    def _score_support(self, outcome, expected) -> TestResult:
        if not expected:
            # Worth nothing rather than free points: the instructor's checkout lacks the images.
            return TestResult(T_SUPPORT, 0.0, 0.0, "No support images in solutions/tests/support/emnist: not graded.")
        calls = _calls(outcome, len(expected))
        if calls is None:
            return TestResult(T_SUPPORT, 0.0, POINTS[T_SUPPORT], outcome_message(outcome))
        right, lines = 0, []
        for call, character in zip(calls, expected, strict=True):
            value = call.get("value") if call.get("ok") is True and isinstance(call.get("value"), dict) else None
            got = value.get("character") if value else None
            confidence = value.get("confidence") if value else None
            ok = got == character and isinstance(confidence, float) and 0.0 < confidence <= 1.0 + 1e-6
            right += ok
            shown = repr(got) if value else f"error: {str(call.get('error', ''))[:200]}"
            lines.append(f"{'ok  ' if ok else 'FAIL'} expected {character!r}, got {shown}")
        return TestResult(T_SUPPORT, POINTS[T_SUPPORT] * right / len(expected), POINTS[T_SUPPORT],
                          f"{right} of {len(expected)} support images read right.\n" + "\n".join(lines))

    def _score_hidden(self, outcome, hidden: hidden_sets.HiddenSet):
        metric = self.metric[0]
        points = POINTS[T_HIDDEN]
        result = outcome.result if outcome is not None and outcome.ok else None
        characters = result.get("characters") if isinstance(result, dict) else None
        if not isinstance(characters, list) or len(characters) != len(hidden.labels):
            message = outcome_message(outcome, student_visible=False) if result is None else \
                "the predictor did not return one character per hidden image"
            return (TestResult(T_HIDDEN, 0.0, points, f"Not scored: {message}."),
                    [LeaderboardEntry(f"{metric} (public)", 0.0, "desc")], {"hidden_set": {"error": message}})
        truth = [hidden.mapping[i] for i in hidden.labels]
        correct = np.array([isinstance(c, str) and c == t for c, t in zip(characters, truth, strict=True)])
        public, private = float(correct[hidden.public].mean()), float(correct[hidden.private].mean())
        fraction = float(np.clip((public - CHANCE) / (ACCURACY_TARGET - CHANCE), 0.0, 1.0))
        errors = result.get("errors") if isinstance(result.get("errors"), int) else 0
        output = (f"Accuracy on the public half of the hidden set: {public:.4f} "
                  f"({int(hidden.public.sum())} images; full marks from {ACCURACY_TARGET:.2f}).")
        if errors:
            output += f" The predictor raised {result.get('first_error_type')} on {errors} image(s)."
        leaderboard = [LeaderboardEntry(f"{metric} (public)", round(public, 6), "desc"),
                       LeaderboardEntry(f"{metric} (private)", round(private, 6), "desc", public=False)]
        private_info = {"hidden_set": {"public_accuracy": public, "private_accuracy": private,
                                       "overall_accuracy": float(correct.mean()), "errors": errors,
                                       "source": hidden.source, "size": int(len(correct)),
                                       "predictor_checked": result.get("checked"),
                                       "predictor_agreed": result.get("agree"),
                                       "batch_error": result.get("batch_error")}}
        return TestResult(T_HIDDEN, points * fraction, points, output), leaderboard, private_info


# --- helpers ----------------------------------------------------------------------------------------
def _forward_grader_network(weights, x: np.ndarray) -> np.ndarray:
    kernel1, bias1, kernel2, bias2 = (w.astype(np.float64) for w in weights)
    hidden = np.maximum(x.reshape(len(x), -1) @ kernel1 + bias1, 0.0)
    return nc.softmax(hidden @ kernel2 + bias2)


def _distinctive_images(rng: np.random.Generator, weights) -> tuple[np.ndarray, np.ndarray]:
    """Random stroke-like images whose predicted classes differ and are not near-ties."""
    def candidate() -> np.ndarray:
        image = np.zeros((28, 28))
        for _ in range(rng.integers(2, 6)):
            r0, c0, r1, c1 = rng.integers(4, 24, size=4)
            steps = np.linspace(0, 1, 40)
            image[np.round(r0 + (r1 - r0) * steps).astype(int), np.round(c0 + (c1 - c0) * steps).astype(int)] = 1
        image = np.clip(image + rng.random((28, 28)) * rng.uniform(0, 0.5), 0, 1)
        return image

    chosen, seen = [], set()
    for _ in range(2000):
        image = candidate()
        probabilities = _forward_grader_network(weights, image[None])[0]
        top = np.sort(probabilities)[-2:]
        index = int(np.argmax(probabilities))
        if top[1] - top[0] < 0.02 or index in seen:
            continue
        seen.add(index)
        chosen.append(image)
        if len(chosen) == 12:
            break
    while len(chosen) < 12:  # pathological weights: accept repeats rather than fail
        chosen.append(candidate())
    images = np.stack(chosen)
    return np.round(images[:8] * 255).astype(np.uint8), images[8:].astype(np.float32)


def _expected_predictions(weights, images_uint8, images_float, mapping) -> list[dict]:
    cases = []
    for kind, images in (("uint8", images_uint8), ("float", images_float)):
        x = images.astype(np.float64) / 255.0 if kind == "uint8" else images.astype(np.float64)
        for probabilities in _forward_grader_network(weights, x):
            index = int(np.argmax(probabilities))
            cases.append({"kind": kind, "character": mapping[index], "confidence": float(probabilities[index])})
    return cases


def _calls(outcome: ProbeOutcome | None, count: int) -> list[dict] | None:
    """The per-image call records of a probe, if it reported exactly `count` of them."""
    if outcome is None or not outcome.ok:
        return None
    calls = outcome.result.get("calls")
    if not isinstance(calls, list) or len(calls) != count or not all(isinstance(c, dict) for c in calls):
        return None
    return calls


def _check_prediction(call: dict, case: dict) -> tuple[bool, bool, bool, dict[str, str]]:
    if call.get("ok") is not True or not isinstance(call.get("value"), dict):
        problem = f"raised {str(call.get('error', 'an exception'))[:300]}"
        return False, False, False, {T_CHARACTER: problem, T_CONFIDENCE: problem, T_TYPES: problem}
    value = call["value"]
    character, confidence = value.get("character"), value.get("confidence")
    character_ok = isinstance(character, str) and character == case["character"]
    confidence_ok = isinstance(confidence, float) and abs(confidence - case["confidence"]) <= 1e-4 + 1e-3 * case["confidence"]
    # Type names are only claims: they count on predictions whose character is right.
    types_ok = (character_ok and value.get("container") in ("tuple", "list") and value.get("length") == 2
                and value.get("character_type") in ("str", "str_") and value.get("confidence_type") == "float")
    problems = {
        T_CHARACTER: f"expected {case['character']!r}, got {character!r}",
        T_CONFIDENCE: f"expected {case['confidence']:.5f}, got {confidence!r}",
        T_TYPES: (f"got a {value.get('container')} of ({value.get('character_type')}, "
                  f"{value.get('confidence_type')}); expected a tuple (str, float) with the right character"),
    }
    return character_ok, confidence_ok, types_ok, problems


def _check_mlp(outcome: ProbeOutcome | None, args: dict, inputs: np.ndarray) -> dict[str, tuple[bool, str]]:
    """Each MLP check for one argument set: (passed, message)."""
    names = (T_MODEL, T_SHAPE, T_STRUCTURE, T_LOGITS, T_PARAMS)
    if outcome is None or not outcome.ok:
        message = outcome_message(outcome)
        return {name: (False, message) for name in names}
    result = outcome.result
    checks: dict[str, tuple[bool, str]] = {}
    is_model = result.get("is_keras_model") is True

    def observed(key):
        entry = result.get(key)
        if isinstance(entry, dict) and entry.get("ok") is True:
            return entry.get("value"), ""
        error = entry.get("error") if isinstance(entry, dict) else None
        return None, f"{key}: {str(error)[:300]}" if error else f"{key} was not reported"

    logits, logits_error = observed("logits")
    layers, layers_error = observed("layers")
    try:
        if layers is None:
            raise nc.Unverifiable(layers_error)
        network = nc.rebuild(layers, tuple(args["input_shape"]))
        recomputed = nc.forward(network, inputs)
        if not isinstance(logits, np.ndarray):
            raise nc.Unverifiable(logits_error or "the network's output is not a numeric array")
        if not nc.logits_match(logits.astype(np.float64), recomputed):
            raise nc.Unverifiable("the output the network returned differs from what its layers and "
                                  "weights compute")
    except nc.Unverifiable as error:
        reason = f"could not verify the network: {error}"
        if not is_model:
            reason = f"returned a {str(result.get('type'))[:60]}, not a keras.Model; {reason}"
        return {name: (False, reason) for name in names}

    # A claim is only believed of a network whose layers were verified to compute its output.
    checks[T_MODEL] = (is_model, "" if is_model else f"returned a {str(result.get('type'))[:60]}, not a keras.Model")

    expected_shape = (len(inputs), args["num_classes"])
    shape_ok = recomputed.shape == expected_shape
    checks[T_SHAPE] = (shape_ok, "" if shape_ok else f"logits shape {recomputed.shape}, expected {expected_shape}")
    problems = nc.structure_problems(network, args["num_classes"], args["layer_size"], args["num_layers"],
                                     args["dropout"])
    checks[T_STRUCTURE] = (not problems, "; ".join(problems))
    final = nc.final_activation(network)
    probabilities = nc.looks_like_probabilities(recomputed)
    logits_ok = final == "linear" and not probabilities
    checks[T_LOGITS] = (logits_ok, "" if logits_ok else
                        f"the last layer applies {final!r}; return raw logits (no activation)")
    count = network.parameter_count
    wanted = nc.expected_parameters(args["input_shape"], args["num_classes"], args["layer_size"], args["num_layers"])
    reported = observed("count_params")[0]
    params_ok = count == wanted and reported == wanted
    checks[T_PARAMS] = (params_ok, "" if params_ok else
                        f"{count:,} parameters in the weights (Keras reports {reported}), expected {wanted:,}")
    return checks


SUITE = Lab1Suite()
