"""The deployed LinePredictor: the support lines, and the hidden lines with their leaderboard.

One text for every line is a guess: it earns nothing, even where its CER would. Credit on the
hidden lines starts below the CER of the best constant answer the parent finds for them
(`constant_baseline`), so that a near-constant answer earns nothing either. The support lines
are graded as seeded copies (`perturb`): a table of the public files' hashes reads nothing.
The leaderboard ranks the students' own models: the course's reference model, known by its
answers on the hidden lines (`reference_answers.py`), gets no entry, whatever its file is called.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.paths import SOLUTIONS_DIR
from autograder.sandbox.session import SandboxFile
from autograder.suites.constant_answers import constant_baseline, credit, is_guess
from autograder.suites.lab3.ctc_reference import character_error_rate
from autograder.suites.perturb import perturbed_files
from autograder.pipeline.lab_suites import prepare_reference
from autograder.suites.reference_answers import same_as_reference

SUPPORT_LINES_DIR = SOLUTIONS_DIR / "tests" / "support" / "emnist_lines"
SUPPORT_MAX_CER = 0.2
#: Public-half CER that earns full marks on the hidden lines, and the CER that earns nothing.
CER_TARGET = 0.2
CER_ZERO = 1.0
SUPPORT_TAG = 3
PREDICTOR = "text_recognizer.predictors.line_predictor:LinePredictor().predict"
IMPORTS = ("keras", "text_recognizer.models.line_model_ctc", "text_recognizer.predictors.line_predictor")
CHUNK = 50
HIDDEN_MESSAGE = "Graded on hidden lines: beyond the figures above, no details are shown."


def support_lines() -> tuple[list[Path], list[str]]:
    labels_path = SUPPORT_LINES_DIR / "labels.json"
    if not labels_path.is_file():
        return [], []
    labels = json.loads(labels_path.read_text())
    names = sorted(name for name in labels if (SUPPORT_LINES_DIR / name).is_file())
    return [SUPPORT_LINES_DIR / name for name in names], [labels[name] for name in names]


def _confidence(call) -> float | None:
    """The confidence of one `each` call's prediction, None when it failed or is not a float."""
    value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
    confidence = value.get("confidence") if isinstance(value, dict) else None
    return confidence if isinstance(confidence, float) else None


def _text(call) -> str | None:
    """The text of one `each` call's prediction, None when it failed or is not a str."""
    value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else None


@pytest.fixture(scope="session")
def baseline(hidden) -> float:
    """The public half's constant-answer CER (capped at CER_ZERO)."""
    public = [hidden.texts[i] for i in np.flatnonzero(hidden.public)]
    return min(constant_baseline(public)[0], CER_ZERO)


@graded("Deployed predictor: support lines (CER < 0.2)", 10)
def test_support_lines(sandbox, feedback, seed):
    paths, targets = support_lines()
    if not paths:
        pytest.skip("no support lines in solutions/tests/support/emnist_lines")
    copies = perturbed_files(paths, seed, SUPPORT_TAG)
    files = [SandboxFile(f"line_{i:02d}.png", data) for i, data in enumerate(copies)]
    calls = sandbox.call(PREDICTOR, files, each=True, observe="prediction", imports=IMPORTS, timeout=120).unwrap()
    assert isinstance(calls, list) and len(calls) == len(paths), "no prediction per line"
    texts = [_text(call) or "" for call in calls]
    cer = character_error_rate(texts, targets)
    feedback.say(f"CER {cer:.3f} (needs < {SUPPORT_MAX_CER})")
    for call, target in zip(calls, targets, strict=True):
        text = _text(call)
        shown = repr(text) if text is not None else (
            f"error: {str(call.get('error', ''))[:200]}" if isinstance(call, dict) and call.get("ok") is False
            else "no text")
        feedback.say(f"{'ok  ' if text == target else 'diff'} expected {target!r}, read {shown}")
    assert not is_guess(texts, targets), "the same text for every line is a guess and earns nothing"
    assert cer < SUPPORT_MAX_CER, f"CER {cer:.3f} is not under {SUPPORT_MAX_CER}"


@pytest.mark.hidden_data
@graded("Deployed predictor: CER on the hidden lines (public half)", 15, hidden_message=HIDDEN_MESSAGE,
        leaderboard=("CER", "asc"))
def test_hidden_lines(sandbox, state_dir, hidden, feedback, leaderboard, baseline):
    # Every line goes through the student's own LinePredictor.predict (so their predict_on_image
    # and decoding), one call per line, in chunks of calls (each chunk with its own deadline).
    count = len(hidden.texts)
    calls: list = []
    for start in range(0, count, CHUNK):
        reply = sandbox.call(PREDICTOR, hidden.images[start:start + CHUNK], each=True, observe="prediction",
                             imports=IMPORTS, timeout=240)
        chunk = reply.value if reply.ok and isinstance(reply.value, list) else None
        if chunk is None or len(chunk) != len(hidden.images[start:start + CHUNK]):
            feedback.instructor("hidden_lines", {"error": reply.message(), "lines_read": len(calls)})
            raise AssertionError("no text per line")
        calls += chunk
    texts = [_text(call) or "" for call in calls]
    confidences = [_confidence(call) for call in calls]
    failed = sum(_text(call) is None for call in calls)
    targets = hidden.texts
    public_rows, private_rows = np.flatnonzero(hidden.public), np.flatnonzero(~hidden.public)
    public = character_error_rate([texts[i] for i in public_rows], [targets[i] for i in public_rows])
    private = character_error_rate([texts[i] for i in private_rows], [targets[i] for i in private_rows])
    guess = is_guess(texts, targets)
    reference = same_as_reference(texts, confidences, prepare_reference(3, state_dir))
    if reference:
        feedback.say("No leaderboard entry: the deployed model answers the hidden lines as the course's reference "
                     "model does. The leaderboard ranks the model you train yourself (run_experiment ... --deploy).")
    else:
        leaderboard.publish(public, private)
    feedback.instructor("hidden_lines", {"public_cer": public, "private_cer": private, "size": count,
                                         "failed_lines": failed, "guess": guess, "reference_weights": reference})
    fraction, zero = credit(public, baseline, CER_TARGET)
    fraction = 0.0 if guess else fraction
    feedback.instructor("constant_baseline", round(baseline, 4))
    feedback.partial(fraction, f"CER {public:.4f} on {len(public_rows)} hidden lines (full marks up to "
                               f"{CER_TARGET}, zero from {zero:.3f}, the CER of the best constant answer).")
    assert not guess, "the same text for every line is a guess and earns nothing"
    assert fraction == 1.0, f"CER {public:.4f} is over the {CER_TARGET} that earns full marks"
