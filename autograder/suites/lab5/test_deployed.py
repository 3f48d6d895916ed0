"""The deployed page reader (`PagePredictor().predict_text`) on hidden pages: CER and leaderboard.

Each hidden page goes through the student's own page predictor: their line detector, their
post-processing and their deployed line model. One text for every page is a guess and earns
nothing, and credit starts below the CER of the best constant answer the parent finds for the
public pages (`constant_answers.constant_baseline`). A submission whose page reader answers the hidden pages as the course's reference reader does
(`reference_answers.py`: known by its answers, whatever its files are called) gets its grade but
no leaderboard entry: the leaderboard ranks models students train themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.pipeline.marks import graded
from autograder.suites.constant_answers import constant_baseline, credit, is_guess
from autograder.suites.lab3.ctc_reference import character_error_rate
from autograder.pipeline.lab_suites import prepare_reference
from autograder.suites.reference_answers import same_as_reference

PREDICTOR = "text_recognizer.predictors.page_predictor:PagePredictor().predict_text"
IMPORTS = ("keras", "text_recognizer.predictors.page_predictor")
CHUNK = 6
#: Public-half page CER that earns full marks (nothing from the best constant answer's CER). The
#: deployed reference reads the grader's pages at 0.392 (public half, after the wider Lab 5
#: substitute and its weights): full marks leave room for honest variation, as in Lab 1.
CER_TARGET = 0.45
HIDDEN_MESSAGE = "Graded on hidden pages: beyond the figures above, no details are shown."


def _confidence(call) -> float | None:
    value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
    confidence = value.get("confidence") if isinstance(value, dict) else None
    return confidence if isinstance(confidence, float) else None


def _text(call) -> str | None:
    value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else None


def _errors(calls: list) -> dict[str, int]:
    """Why pages failed (the instructor report): each distinct error line and how many pages had it."""
    errors: dict[str, int] = {}
    for call in calls:
        if _text(call) is None:
            reason = str(call.get("error", "no text")) if isinstance(call, dict) else "no reply"
            errors[reason[:200]] = errors.get(reason[:200], 0) + 1
    return dict(sorted(errors.items(), key=lambda item: -item[1])[:10])


@pytest.fixture(scope="session")
def baseline(hidden) -> float:
    """The public pages' constant-answer CER (capped at 1.0)."""
    return min(constant_baseline([hidden.texts[i] for i in np.flatnonzero(hidden.public)])[0], 1.0)


@pytest.mark.hidden_data
@graded("Deployed page reader: CER on hidden pages (public half)", 20, hidden_message=HIDDEN_MESSAGE,
        leaderboard=("Page CER", "asc"))
def test_hidden_pages(sandbox, state_dir, hidden, feedback, leaderboard, baseline):
    calls: list = []
    for start in range(0, len(hidden.texts), CHUNK):
        images = hidden.images[start:start + CHUNK]
        reply = sandbox.call(PREDICTOR, images, each=True, observe="prediction", imports=IMPORTS, timeout=300)
        chunk = reply.value if reply.ok and isinstance(reply.value, list) else None
        if chunk is None or len(chunk) != len(images):
            feedback.instructor("hidden_pages", {"error": reply.message(), "pages_read": len(calls)})
            raise AssertionError("no text per page")
        calls += chunk
    texts = [_text(call) or "" for call in calls]
    public_rows, private_rows = np.flatnonzero(hidden.public), np.flatnonzero(~hidden.public)
    public = character_error_rate([texts[i] for i in public_rows], [hidden.texts[i] for i in public_rows])
    private = character_error_rate([texts[i] for i in private_rows], [hidden.texts[i] for i in private_rows])
    guess = is_guess(texts, hidden.texts)
    confidences = [_confidence(call) for call in calls]
    reference = same_as_reference(texts, confidences, prepare_reference(5, state_dir))
    if reference:
        feedback.say("No leaderboard entry: the page reader answers the hidden pages as the course's reference "
                     "model does. The leaderboard ranks the model you train yourself (run_experiment ... --deploy).")
    elif not guess:
        leaderboard.publish(public, private)
    feedback.instructor("hidden_pages", {"public_cer": public, "private_cer": private, "pages": len(texts),
                                         "failed_pages": sum(_text(c) is None for c in calls), "guess": guess,
                                         "page_errors": _errors(calls), "reference_weights": reference,
                                         "constant_baseline": round(baseline, 4)})
    fraction, zero = credit(public, baseline, CER_TARGET)
    fraction = 0.0 if guess else fraction
    feedback.partial(fraction, f"Page CER {public:.4f} on {len(public_rows)} hidden pages (full marks up to "
                               f"{CER_TARGET}, zero from {zero:.3f}, the CER of the best constant answer).")
    assert not guess, "the same text for every page is a guess and earns nothing"
    assert fraction == 1.0, f"page CER {public:.4f} is over the {CER_TARGET} that earns full marks"
