"""The deployed page reader (`PagePredictor().predict_text`) on hidden pages: CER and leaderboard.

Each hidden page goes through the student's own page predictor: their line detector, their
post-processing and their deployed line model. One text for every page is a guess and earns
nothing. A submission that deploys the course's reference line weights gets its grade but no
leaderboard entry: the leaderboard ranks models students train themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder.marks import graded
from autograder.suites.lab3.ctc_reference import character_error_rate
from autograder.suites.weights import deploys_reference_weights

PREDICTOR = "text_recognizer.predictors.page_predictor:PagePredictor().predict_text"
IMPORTS = ("keras", "text_recognizer.predictors.page_predictor")
LINE_WEIGHTS = "text_recognizer/weights/handwriting_line_model_line_crnn.weights.h5"
CHUNK = 6
#: Public-half page CER that earns full marks, and the CER from which a submission earns nothing.
CER_TARGET = 0.3
CER_ZERO = 1.0
HIDDEN_MESSAGE = "Graded on hidden pages: beyond the figures above, no details are shown."


def _text(call) -> str | None:
    value = call.get("value") if isinstance(call, dict) and call.get("ok") is True else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) else None


@graded("Deployed page reader: CER on hidden pages (public half)", 20, hidden_message=HIDDEN_MESSAGE,
        leaderboard=("Page CER", "asc"))
def test_hidden_pages(sandbox, grading, hidden, feedback, leaderboard):
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
    guess = len(set(texts)) == 1 and len(set(hidden.texts)) > 1
    reference = deploys_reference_weights(grading.submission, LINE_WEIGHTS)
    if reference:
        feedback.say("No leaderboard entry: the deployed line weights are the course's reference weights. "
                     "The leaderboard ranks the model you train yourself (run_experiment ... --deploy).")
    elif not guess:
        leaderboard.publish(public, private)
    feedback.instructor("hidden_pages", {"public_cer": public, "private_cer": private, "pages": len(texts),
                                         "failed_pages": sum(_text(c) is None for c in calls), "guess": guess,
                                         "reference_weights": reference})
    fraction = 0.0 if guess else float(np.clip((CER_ZERO - public) / (CER_ZERO - CER_TARGET), 0.0, 1.0))
    feedback.partial(fraction, f"Page CER {public:.4f} on {len(public_rows)} hidden pages (full marks up to "
                               f"{CER_TARGET}, nothing from {CER_ZERO}).")
    assert not guess, "the same text for every page is a guess and earns nothing"
    assert fraction == 1.0, f"page CER {public:.4f} is over the {CER_TARGET} that earns full marks"
