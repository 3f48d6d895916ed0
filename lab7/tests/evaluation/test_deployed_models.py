"""Evaluation tests: may the deployed models ship? (CI runs them before the image is built.)

Unit tests say the code does what it should; these say the *weights* about to be deployed are
good enough. Each deployed predictor reads a small fixed evaluation set, built once from the
test writers of the offline substitute (`tests/support/evaluation/`: 100 lines, 300 characters;
never used for training), and must reach its threshold. A model that trains fine but reads
worse than the one in production fails here, before it reaches users.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from lab_folders import SUPPORT_DIR

from text_recognizer.models.metrics import character_error_rate

EVALUATION_DIR = SUPPORT_DIR / "evaluation"
CHARACTER_MIN_ACCURACY = 0.75
"""The deployed character model must read at least this share of the evaluation characters."""
LINE_MAX_CER = 0.15
"""The deployed line model's character error rate on the evaluation lines must stay below this."""


@pytest.fixture(scope="module")
def evaluation_set() -> dict:
    meta = json.loads((EVALUATION_DIR / "evaluation_set.json").read_text())
    with np.load(EVALUATION_DIR / "evaluation_set.npz", allow_pickle=False) as arrays:
        return {**meta, "line_images": arrays["line_images"], "character_images": arrays["character_images"]}


def test_the_evaluation_set_is_what_it_says(evaluation_set):
    assert evaluation_set["line_images"].shape == (len(evaluation_set["line_texts"]), 28, 896)
    assert evaluation_set["character_images"].shape == (len(evaluation_set["characters"]), 28, 28)
    assert len(set(evaluation_set["line_texts"])) > 50, "the lines must differ"
    assert len(set(evaluation_set["characters"])) > 40, "most character classes must appear"


def test_deployed_character_model_reaches_its_accuracy(evaluation_set):
    from text_recognizer.predictors.character_predictor import CharacterPredictor

    weights = CharacterPredictor.default_config
    if not weights.is_file():
        pytest.skip(f"no deployed character model at {weights} (Lab 1 trains and deploys it)")
    predictor = CharacterPredictor()
    images, targets = evaluation_set["character_images"], evaluation_set["characters"]
    probabilities = predictor.model.predict_batch(images)
    predicted = [predictor.model.mapping[i] for i in probabilities.argmax(axis=1)]
    accuracy = float(np.mean([p == t for p, t in zip(predicted, targets, strict=True)]))
    print(f"character accuracy {accuracy:.3f} on {len(targets)} evaluation characters")
    assert accuracy >= CHARACTER_MIN_ACCURACY, (
        f"the deployed character model reads {accuracy:.3f} of the evaluation characters, under the "
        f"{CHARACTER_MIN_ACCURACY} needed to deploy it: train a better one before deploying")


def test_deployed_line_model_reaches_its_character_error_rate(evaluation_set):
    from text_recognizer.predictors.line_predictor import LinePredictor

    # One image at a time through the predictor, as the API calls it (whatever the model's input).
    predictor = LinePredictor()
    texts = [predictor.predict(image)[0] for image in evaluation_set["line_images"]]
    cer = character_error_rate(texts, evaluation_set["line_texts"])
    print(f"line CER {cer:.4f} on {len(texts)} evaluation lines")
    assert cer < LINE_MAX_CER, (
        f"the deployed line model reads the evaluation lines at CER {cer:.3f}, over the {LINE_MAX_CER} "
        "allowed for deployment: train a better one before deploying")



PAGES_DIR = EVALUATION_DIR.parent / "iam_pages"
PAGE_MAX_CER = 0.4
"""The deployed page reader's CER over the support pages (lines joined by newlines) must stay below this."""


def test_deployed_page_predictor_finds_the_lines_and_reaches_its_character_error_rate():
    from text_recognizer.predictors.page_predictor import DETECTOR_CONFIG, PagePredictor

    if not DETECTOR_CONFIG.is_file() or not (PAGES_DIR / "labels.json").is_file():
        pytest.skip("no deployed page models or support pages (Lab 5 deploys them)")
    labels = json.loads((PAGES_DIR / "labels.json").read_text())
    predictor = PagePredictor()
    readings = {name: predictor.predict(PAGES_DIR / name) for name in sorted(labels)}
    for name, reading in readings.items():
        assert len(reading.lines) == len(labels[name]["lines"]), f"{name}: {len(reading.lines)} lines found"
    cer = character_error_rate([readings[n].text for n in readings], ["\n".join(labels[n]["lines"]) for n in readings])
    print(f"page CER {cer:.4f} on {len(readings)} support pages")
    assert cer < PAGE_MAX_CER, (
        f"the deployed page reader reads the support pages at CER {cer:.3f}, over the {PAGE_MAX_CER} allowed "
        "for deployment: train better line or detector models before deploying")
