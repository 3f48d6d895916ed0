"""Lab 3's hidden suite: CTC lengths, loss and decoding, the LSTM-CTC network, the line predictor.

| test | points | how it is checked (always in the parent, from plain data) |
|---|---|---|
| ctc_lengths | 10 | integer and float padded labels: label lengths and logit lengths equal the parent's counts |
| CtcLoss | 15 | per line: the parent's own numpy CTC forward algorithm (-log p(label), blank 0) |
| ctc_decode_logits: greedy text / confidence | 10 + 5 | per line of parent-built logits (repeats, blanks, a grader mapping): collapsed best path, product of best-step probabilities |
| ctc_decode_logits: beam-search text / confidence | 10 + 5 | per line: the text, and a confidence between the best path's and the text's exact probability |
| line_lstm_ctc: keras.Model / layers and logits / shape | 5 + 10 + 5 | reported weights loaded into the reference network in the parent reproduce the reported logits |
| Deployed predictor: support lines | 10 | CER below 0.2 on solutions/tests/support/emnist_lines |
| Deployed predictor: hidden lines | 15 | CER on the public half of the hidden lines: full marks up to `CER_TARGET`, zero at `CER_ZERO` |

The leaderboard ranks the hidden lines' CER (public half; the private half for the final ranking),
lower is better.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from autograder.paths import SOLUTIONS_DIR
from autograder.reference import reference_module
from autograder.results import LeaderboardEntry, TestResult
from autograder.sandbox.session import ProbeOutcome
from autograder.suites.base import Plan, Probe, Scored, Suite, SuiteContext, outcome_message
from autograder.suites.lab3 import hidden_set as hidden_sets
from autograder.suites.reference_nets import check_network

SUPPORT_LINES_DIR = SOLUTIONS_DIR / "tests" / "support" / "emnist_lines"
SUPPORT_MAX_CER = 0.2
CER_TARGET = 0.2
CER_ZERO = 1.0
MODEL_IMPORTS = ("keras", "text_recognizer", "text_recognizer.networks", "text_recognizer.models")
PREDICTOR_IMPORTS = MODEL_IMPORTS + ("text_recognizer.predictors",)
DECODE_MAPPING = ["_", "q", "x", "a", "Z", " ", "7", "e", "r", "t", "!", "k"]
DECODE_LINES, DECODE_STEPS, BEAM_WIDTH = 6, 16, 10
LSTM_ARGUMENT_SETS = {
    "A": {"input_shape": [28, 84], "num_classes": 9, "window_width": 14, "window_stride": 7, "lstm_dim": 6,
          "bidirectional": True, "dropout": 0.1, "conv_dim": 2, "fc_dim": 8},
    "B": {"input_shape": [16, 64], "num_classes": 5, "window_width": 16, "window_stride": 8, "lstm_dim": 4,
          "bidirectional": False, "dropout": 0.0, "conv_dim": 3, "fc_dim": 6, "padding": "valid"},
}

T_LENGTHS = "ctc_lengths: label and logit lengths"
T_LOSS = "CtcLoss: CTC loss of every line"
T_GREEDY = "ctc_decode_logits: greedy decoding text"
T_GREEDY_CONF = "ctc_decode_logits: greedy confidence"
T_BEAM = "ctc_decode_logits: beam search text"
T_BEAM_CONF = "ctc_decode_logits: beam search confidence"
T_MODEL = "line_lstm_ctc: returns a keras.Model"
T_LAYERS = "line_lstm_ctc: layers and logits follow the specification"
T_SHAPE = "line_lstm_ctc: logits have shape (batch, num_windows, num_classes)"
T_SUPPORT = "Deployed predictor: support lines (CER < 0.2)"
T_HIDDEN = "Deployed predictor: CER on the hidden lines (public half)"
POINTS = {T_LENGTHS: 10, T_LOSS: 15, T_GREEDY: 10, T_GREEDY_CONF: 5, T_BEAM: 10, T_BEAM_CONF: 5,
          T_MODEL: 5, T_LAYERS: 10, T_SHAPE: 5, T_SUPPORT: 10, T_HIDDEN: 15}


# --- the parent's own CTC -------------------------------------------------------------------------
def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def ctc_neg_log_likelihood(logits: np.ndarray, label: list[int], blank: int = 0) -> float:
    """-log p(label | logits) for one line (timesteps, classes), by the CTC forward algorithm."""
    log_probs = log_softmax(logits)
    extended = [blank]
    for symbol in label:
        extended += [int(symbol), blank]
    states = len(extended)
    alpha = np.full(states, -np.inf)
    alpha[0] = log_probs[0, blank]
    if states > 1:
        alpha[1] = log_probs[0, extended[1]]
    for t in range(1, len(log_probs)):
        previous = alpha
        alpha = np.full(states, -np.inf)
        for s in range(states):
            terms = [previous[s]]
            if s >= 1:
                terms.append(previous[s - 1])
            if s >= 2 and extended[s] != blank and extended[s] != extended[s - 2]:
                terms.append(previous[s - 2])
            alpha[s] = np.logaddexp.reduce(terms) + log_probs[t, extended[s]]
    total = np.logaddexp(alpha[-1], alpha[-2]) if states > 1 else alpha[-1]
    return float(-total)


def collapse(path, blank: int = 0) -> list[int]:
    """Merge repeated classes, then drop blanks."""
    out, last = [], None
    for symbol in path:
        symbol = int(symbol)
        if symbol != last and symbol != blank:
            out.append(symbol)
        last = symbol
    return out


def character_error_rate(predictions: list[str], targets: list[str]) -> float:
    return float(reference_module("text_recognizer.models.metrics").character_error_rate(predictions, targets))


def _line(ok: bool, call: str, message: str = "") -> str:
    return f"{'ok  ' if ok else 'FAIL'} {call}" + (f": {message}" if message and not ok else "")


def _value(entry) -> object:
    return entry.get("value") if isinstance(entry, dict) and entry.get("ok") is True else None


def _failure(entry, outcome) -> str:
    if isinstance(entry, dict) and entry.get("ok") is False:
        return f"your code raised {str(entry.get('error'))[:400]}"
    return outcome_message(outcome) or "nothing was reported"


def support_lines() -> tuple[list[Path], list[str]]:
    labels_path = SUPPORT_LINES_DIR / "labels.json"
    if not labels_path.is_file():
        return [], []
    labels = json.loads(labels_path.read_text())
    names = sorted(name for name in labels if (SUPPORT_LINES_DIR / name).is_file())
    return [SUPPORT_LINES_DIR / name for name in names], [labels[name] for name in names]


class Lab3Suite(Suite):
    lab = 3
    title = "Lab 3: reading lines with an LSTM and CTC"
    probes_file = Path(__file__).with_name("probes.py")
    metric = ("CER", "asc")

    def catalog(self) -> list[tuple[str, float]]:
        have_support = bool(support_lines()[0])
        return [(name, float(points if name != T_SUPPORT or have_support else 0)) for name, points in POINTS.items()]

    def prepare(self, context: SuiteContext) -> None:
        hidden_sets.load_or_build(context.state_dir, context.seed)

    # --- what goes into the sandbox ------------------------------------------------------------
    def plan(self, context: SuiteContext) -> Plan:
        rng = np.random.default_rng([context.seed, 31])
        probes: list[Probe] = []
        expected: dict = {}

        lengths = [3, 0, 7, 1, 5]
        labels = np.zeros((len(lengths), 7), np.int32)
        for row, length in enumerate(lengths):
            labels[row, :length] = rng.integers(1, 10, size=length)
        logits = rng.normal(0, 1, size=(len(lengths), 11, 10)).astype(np.float32)
        probes.append(Probe("ctc_lengths", "ctc_lengths", MODEL_IMPORTS, 60.0, {},
                            {"labels_int": labels, "labels_float": labels.astype(np.float32), "logits": logits}))
        expected["lengths"] = (np.array(lengths, np.float64), np.full(len(lengths), 11.0))

        loss_lengths = [2, 5, 1, 3]
        loss_labels = np.zeros((len(loss_lengths), 6), np.int32)
        for row, length in enumerate(loss_lengths):
            loss_labels[row, :length] = rng.integers(1, 8, size=length)
        loss_logits = rng.normal(0, 1.5, size=(len(loss_lengths), 13, 8)).astype(np.float32)
        probes.append(Probe("ctc_loss", "ctc_loss", MODEL_IMPORTS, 60.0, {},
                            {"labels": loss_labels, "logits": loss_logits}))
        expected["loss"] = np.array([ctc_neg_log_likelihood(line, row[row > 0])
                                     for line, row in zip(loss_logits, loss_labels, strict=True)])

        decode_logits, decode_expected = _decode_cases(rng)
        probes.append(Probe("ctc_decode", "ctc_decode", MODEL_IMPORTS, 60.0,
                            {"mapping": DECODE_MAPPING, "strategies": ["greedy", "beam_search"],
                             "beam_width": BEAM_WIDTH}, {"logits": decode_logits}))
        expected["decode"] = decode_expected

        expected["lstm"] = {}
        for key, args in LSTM_ARGUMENT_SETS.items():
            inputs = rng.uniform(0, 1, size=(2, *args["input_shape"])).astype(np.float32)
            probes.append(Probe(f"line_lstm_ctc/{key}", "line_lstm_ctc", MODEL_IMPORTS, 90.0, args,
                                {"inputs": inputs}))
            expected["lstm"][key] = {"args": args, "inputs": inputs}

        paths, texts = support_lines()
        if paths:
            files = {f"support/line_{i:02d}.png": path for i, path in enumerate(paths)}
            probes.append(Probe("support_lines", "support_lines", PREDICTOR_IMPORTS, 120.0,
                                {"files": list(files)}, files=files))
            expected["support"] = texts

        hidden = hidden_sets.load_or_build(context.state_dir, context.seed)
        probes.append(Probe("hidden_lines", "hidden_lines", PREDICTOR_IMPORTS, 240.0, {"check": 8},
                            {"images": hidden.images}))
        expected["hidden"] = hidden
        return Plan(probes, expected)

    # --- scoring in the parent -------------------------------------------------------------------
    def score(self, outcomes: dict[str, ProbeOutcome], plan: Plan) -> Scored:
        tests = [self._score_lengths(outcomes.get("ctc_lengths"), plan.expected["lengths"]),
                 self._score_loss(outcomes.get("ctc_loss"), plan.expected["loss"])]
        tests += self._score_decode(outcomes.get("ctc_decode"), plan.expected["decode"])
        tests += self._score_lstm(outcomes, plan.expected["lstm"])
        tests.append(self._score_support(outcomes.get("support_lines"), plan.expected.get("support")))
        hidden_test, leaderboard, private = self._score_hidden(outcomes.get("hidden_lines"), plan.expected["hidden"])
        tests.append(hidden_test)
        return Scored(tests, leaderboard, private)

    def _score_lengths(self, outcome, expected) -> TestResult:
        label_lengths, logit_lengths = expected
        result = outcome.result if outcome is not None and outcome.ok else {}
        right, lines = 0, []
        for kind in ("int", "float"):
            call = f"ctc_lengths({kind} labels (5, 7), logits (5, 11, 10))"
            entry = result.get(kind)
            value = _value(entry)
            if not isinstance(value, dict):
                lines.append(_line(False, call, _failure(entry, outcome)))
                continue
            label, logit = value.get("label_length"), value.get("logit_length")
            ok = (isinstance(label, np.ndarray) and isinstance(logit, np.ndarray)
                  and label.shape == label_lengths.shape and logit.shape == logit_lengths.shape
                  and np.array_equal(label, label_lengths) and np.array_equal(logit, logit_lengths))
            right += ok
            lines.append(_line(ok, call, f"expected label lengths {label_lengths.astype(int).tolist()} and logit "
                               f"lengths {logit_lengths.astype(int).tolist()}, got {_short(label)} and {_short(logit)}"))
        return TestResult(T_LENGTHS, POINTS[T_LENGTHS] * right / 2, POINTS[T_LENGTHS], "\n".join(lines))

    def _score_loss(self, outcome, expected) -> TestResult:
        entry = outcome.result.get("per_line") if outcome is not None and outcome.ok else None
        value = _value(entry)
        call = "CtcLoss().call(labels (4, 6), logits (4, 13, 8))"
        if not isinstance(value, np.ndarray) or value.shape != expected.shape:
            problem = (f"expected one loss per line, shape {expected.shape}, got {_short(value)}"
                       if isinstance(value, np.ndarray) else _failure(entry, outcome))
            return TestResult(T_LOSS, 0.0, POINTS[T_LOSS], _line(False, call, problem))
        close = np.isclose(value, expected, rtol=1e-3, atol=1e-3)
        lines = [_line(bool(ok), f"line {i}", f"expected {e:.4f}, got {v:.4f}")
                 for i, (ok, e, v) in enumerate(zip(close, expected, value, strict=True))]
        return TestResult(T_LOSS, POINTS[T_LOSS] * float(close.mean()), POINTS[T_LOSS], "\n".join(lines))

    def _score_decode(self, outcome, expected) -> list[TestResult]:
        result = outcome.result if outcome is not None and outcome.ok else {}
        tests = []
        for strategy, text_name, confidence_name in (("greedy", T_GREEDY, T_GREEDY_CONF),
                                                     ("beam_search", T_BEAM, T_BEAM_CONF)):
            entry = result.get(strategy)
            calls = _value(entry)
            if not isinstance(calls, list) or len(calls) != len(expected):
                problem = (f"expected {len(expected)} (text, confidence) pairs, got {len(calls)}"
                           if isinstance(calls, list) else _failure(entry, outcome))
                tests += [TestResult(text_name, 0.0, POINTS[text_name], problem),
                          TestResult(confidence_name, 0.0, POINTS[confidence_name], problem)]
                continue
            texts_ok, confidences_ok, text_lines, confidence_lines = [], [], [], []
            # The expected texts all differ: one answer for every line is a guess, worth nothing.
            answers = {str(c.get("text")) for c in calls if isinstance(c, dict)}
            guess = len(answers) <= 1
            for index, (call, case) in enumerate(zip(calls, expected, strict=True)):
                call = call if isinstance(call, dict) else {}
                text, confidence = call.get("text"), call.get("confidence")
                text_ok = not guess and isinstance(text, str) and text == case["text"]
                if strategy == "greedy":
                    low = high = case["greedy_confidence"]
                else:
                    low, high = case["greedy_confidence"], case["text_probability"]
                confidence_ok = (text_ok and call.get("confidence_type") == "float" and isinstance(confidence, float)
                                 and low * (1 - 1e-3) - 1e-6 <= confidence <= high * (1 + 1e-3) + 1e-6)
                texts_ok.append(text_ok)
                confidences_ok.append(confidence_ok)
                text_lines.append(_line(text_ok, f"line {index}", "the same text for every line is a guess"
                                        if guess else f"expected {case['text']!r}, got {text!r}"))
                wanted = f"{low:.5f}" if low == high else f"between {low:.5f} and {high:.5f}"
                confidence_lines.append(_line(confidence_ok, f"line {index}",
                                              f"expected a float {wanted} (with the right text), got {confidence!r}"))
            tests += [TestResult(text_name, POINTS[text_name] * sum(texts_ok) / len(texts_ok), POINTS[text_name],
                                 "\n".join(text_lines)),
                      TestResult(confidence_name, POINTS[confidence_name] * sum(confidences_ok) / len(confidences_ok),
                                 POINTS[confidence_name], "\n".join(confidence_lines))]
        return tests

    def _score_lstm(self, outcomes, expected) -> list[TestResult]:
        network = reference_module("text_recognizer.networks.line_lstm_ctc").line_lstm_ctc
        line_cnn = reference_module("text_recognizer.networks.line_cnn")
        names = (T_MODEL, T_LAYERS, T_SHAPE)
        passed = {name: [] for name in names}
        lines = {name: [] for name in names}
        for key, case in expected.items():
            args = case["args"]
            kwargs = {k: v for k, v in args.items() if k not in ("input_shape", "num_classes")}
            call = f"line_lstm_ctc({tuple(args['input_shape'])}, {args['num_classes']}, " + ", ".join(
                f"{k}={v!r}" for k, v in kwargs.items()) + ")"
            check = check_network(outcomes.get(f"line_lstm_ctc/{key}"), lambda args=args, kwargs=kwargs: network(
                tuple(args["input_shape"]), args["num_classes"], **kwargs), case["inputs"])
            windows = line_cnn.num_windows(args["input_shape"][1], args["window_width"], args["window_stride"],
                                           args.get("padding", "same"))
            wanted = (len(case["inputs"]), windows, args["num_classes"])
            results = {
                T_MODEL: (check.verified and check.is_keras_model, "not a verified keras.Model"),
                T_LAYERS: (check.verified, ""),
                T_SHAPE: (check.verified and check.output_shape == wanted,
                          f"logits shape {check.output_shape}, expected {wanted}"),
            }
            for name, (ok, message) in results.items():
                passed[name].append(ok)
                lines[name].append(_line(ok, call, check.message or message))
        return [TestResult(name, POINTS[name] * sum(oks) / len(oks), POINTS[name], "\n".join(lines[name]))
                for name, oks in passed.items()]

    def _score_support(self, outcome, expected) -> TestResult:
        if not expected:
            return TestResult(T_SUPPORT, 0.0, 0.0, "no support lines in this installation")
        calls = outcome.result.get("calls") if outcome is not None and outcome.ok else None
        if not isinstance(calls, list) or len(calls) != len(expected):
            return TestResult(T_SUPPORT, 0.0, POINTS[T_SUPPORT], outcome_message(outcome) or "no predictions reported")
        texts = []
        for call in calls:
            value = _value(call)
            text = value.get("text") if isinstance(value, dict) else None
            texts.append(text if isinstance(text, str) else "")
        cer = character_error_rate(texts, expected)
        ok = cer < SUPPORT_MAX_CER
        detail = "\n".join(f"{'ok  ' if t == e else 'diff'} expected {e!r}, read {t!r}"
                           for t, e in zip(texts, expected, strict=True))
        return TestResult(T_SUPPORT, float(POINTS[T_SUPPORT] if ok else 0), POINTS[T_SUPPORT],
                          f"CER {cer:.3f} (needs < {SUPPORT_MAX_CER})\n{detail}")

    def _score_hidden(self, outcome, hidden) -> tuple[TestResult, list[LeaderboardEntry], dict]:
        metric = self.metric[0]
        texts = outcome.result.get("texts") if outcome is not None and outcome.ok else None
        if not isinstance(texts, list) or len(texts) != len(hidden.texts):
            message = outcome_message(outcome, student_visible=False) or "no predictions reported"
            return (TestResult(T_HIDDEN, 0.0, POINTS[T_HIDDEN], message),
                    [LeaderboardEntry(f"{metric} (public)", 1.0, "asc")], {"hidden_lines": {"error": message}})
        texts = [t if isinstance(t, str) else "" for t in texts]
        targets = hidden.texts
        public_rows = np.flatnonzero(hidden.public)
        private_rows = np.flatnonzero(~hidden.public)
        public = character_error_rate([texts[i] for i in public_rows], [targets[i] for i in public_rows])
        private = character_error_rate([texts[i] for i in private_rows], [targets[i] for i in private_rows])
        fraction = float(np.clip((CER_ZERO - public) / (CER_ZERO - CER_TARGET), 0.0, 1.0))
        result = outcome.result
        note = ""
        if result.get("checked") and result.get("agree") != result.get("checked"):
            note = (f"\nnote: your LinePredictor.predict and your model's predict_texts disagree on "
                    f"{result['checked'] - result['agree']} of {result['checked']} lines")
        test = TestResult(T_HIDDEN, round(POINTS[T_HIDDEN] * fraction, 4), POINTS[T_HIDDEN],
                          f"CER {public:.4f} on {len(public_rows)} hidden lines (full marks up to {CER_TARGET}, "
                          f"zero from {CER_ZERO}){note}")
        leaderboard = [LeaderboardEntry(f"{metric} (public)", round(public, 6), "asc"),
                       LeaderboardEntry(f"{metric} (private)", round(private, 6), "asc", public=False)]
        private_figures = {"hidden_lines": {"public_cer": public, "private_cer": private,
                                            "checked": result.get("checked"), "agree": result.get("agree"),
                                            "batch_error": result.get("batch_error")}}
        return test, leaderboard, private_figures


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return str(value.tolist())[:120] if value.size <= 16 else f"an array of shape {value.shape}"
    return repr(value)[:120]


def _decode_cases(rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """Peaked logits whose decodings all differ; the first lines have repeats split by a blank."""
    blank_first = [3, 3, 0, 3, 4, 4, 0, 0, 6, 6, 6, 0, 6, 7, 0, 0]  # "aaZ77e": repeats and blanks
    all_blank = [0] * DECODE_STEPS
    alignments = [blank_first, all_blank]
    texts = {tuple(collapse(a)) for a in alignments}
    while len(alignments) < DECODE_LINES:
        path: list[int] = []
        while len(path) < DECODE_STEPS:
            symbol = 0 if rng.random() < 0.35 else int(rng.integers(1, len(DECODE_MAPPING)))
            path += [symbol] * int(rng.integers(1, 4))
        path = path[:DECODE_STEPS]
        if tuple(collapse(path)) not in texts:
            texts.add(tuple(collapse(path)))
            alignments.append(path)
    logits = rng.normal(0, 0.4, size=(DECODE_LINES, DECODE_STEPS, len(DECODE_MAPPING)))
    for line, path in enumerate(alignments):
        logits[line, np.arange(DECODE_STEPS), path] += 7.0
    logits = logits.astype(np.float32)
    cases = []
    for line in logits:
        probabilities = np.exp(log_softmax(line))
        best = collapse(np.argmax(line, axis=-1))
        cases.append({
            "text": "".join(DECODE_MAPPING[i] for i in best),
            "greedy_confidence": float(np.prod(probabilities.max(axis=-1))),
            "text_probability": float(np.exp(-ctc_neg_log_likelihood(line, best))),
        })
    return logits, cases


SUITE = Lab3Suite()
