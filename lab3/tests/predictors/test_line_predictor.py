"""The line predictor: deployed LSTM-CTC weights read the support lines, cropped or not.

The support lines (`tests/support/emnist_lines/`, labels in `labels.json`) are synthetic test
lines of writers never seen in training, shorter than the 32 characters a line can hold, so their
right end is blank. Cropping up to 150 pixels of that blank end must not change what is read: the
model pads narrower lines back to its width, as the dataset pads short lines.
"""

import json

import lab_folders
import numpy as np
import pytest
from PIL import Image

from text_recognizer.images.checks import ImageError
from text_recognizer.models.metrics import character_error_rate
from text_recognizer.predictors.line_predictor import LinePredictor

SUPPORT_DIR = lab_folders.SUPPORT_DIR / "emnist_lines"
LABELS: dict[str, str] = json.loads((SUPPORT_DIR / "labels.json").read_text())
MAX_CER = 0.2
MAX_CROP = 150


@pytest.fixture(scope="module")
def predictor():
    return LinePredictor()


def read(name: str) -> np.ndarray:
    return np.asarray(Image.open(SUPPORT_DIR / name).convert("L"))


def cer_of(predictor, images: list[np.ndarray]) -> float:
    predictions = [predictor.predict(image)[0] for image in images]
    return character_error_rate(predictions, list(LABELS.values()))


def test_support_lines_exist_with_a_blank_right_end():
    assert len(LABELS) >= 5
    for name in LABELS:
        image = read(name)
        assert image.shape == (28, 896)
        assert image[:, -MAX_CROP:].max() == 0, f"{name}: its right end must be blank"


def test_predictor_reads_the_support_lines(predictor):
    results = [predictor.predict(SUPPORT_DIR / name) for name in LABELS]
    for text, confidence in results:
        assert isinstance(text, str) and 0.0 <= confidence <= 1.0
    assert character_error_rate([text for text, _ in results], list(LABELS.values())) < MAX_CER


def test_predictor_reads_lines_cropped_at_the_right_end(predictor):
    rng = np.random.default_rng(0)
    cropped = [read(name)[:, : 896 - int(rng.integers(1, MAX_CROP + 1))] for name in LABELS]
    assert cer_of(predictor, cropped) < MAX_CER


def test_predictor_reads_ink_on_paper_and_bytes(predictor):
    paper = [255 - read(name) for name in LABELS]
    assert cer_of(predictor, paper) < MAX_CER
    name = next(iter(LABELS))
    assert predictor.predict((SUPPORT_DIR / name).read_bytes()) == predictor.predict(SUPPORT_DIR / name)


def test_wrong_height_gets_a_clear_error(predictor, tmp_path):
    path = tmp_path / "tall.png"
    Image.new("L", (400, 64)).save(path)
    with pytest.raises(ValueError, match=r"28 pixels high.*got shape \(64, 400\)"):
        predictor.predict(path)


def test_too_wide_line_gets_a_clear_error(predictor):
    line = np.zeros((28, 1200), np.uint8)
    line[5:20, 1000:1100] = 255
    with pytest.raises(ValueError, match="wide"):
        predictor.predict(line)


@pytest.mark.parametrize(("content", "message"), [(b"", "is empty"), (b"GIF89a broken", "not an image")])
def test_non_images_get_a_clear_error(predictor, tmp_path, content, message):
    path = tmp_path / "upload.png"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        predictor.predict(path)


def test_missing_weights_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="run_experiment"):
        LinePredictor(tmp_path / "line_model_ctc_line_lstm_ctc.json")
