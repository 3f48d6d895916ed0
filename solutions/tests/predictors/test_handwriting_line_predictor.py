"""The Lab 5 line predictor takes any line image: any size, either polarity, photo or scan."""

import numpy as np
import pytest
from PIL import Image

from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.data.synthetic.handwriting_writers import writers
from text_recognizer.data.synthetic.line_rendering import render_line
from text_recognizer.images.checks import ImageError
from text_recognizer.images.line_normalization import normalize_line
from text_recognizer.models.handwriting_line_model import HandwritingLineModel
from text_recognizer.predictors.handwriting_line_predictor import HandwritingLinePredictor


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    """A predictor on an untrained tiny model: these tests check what it accepts, not what it reads."""
    model = HandwritingLineModel(MAPPING, (32, 128), "line_crnn",
                                 {"conv_dims": [4, 4, 8, 8], "lstm_dim": 8, "lstm_layers": 1})
    _, config = model.save(tmp_path_factory.mktemp("weights") / model.name)
    return HandwritingLinePredictor(config)


@pytest.fixture(scope="module")
def scan():
    return render_line("Any line, 1962!", writers("test")[0], np.random.default_rng(0), text_height=70)


def test_normalize_line_any_size_and_polarity(scan):
    line = normalize_line(scan, 32)
    assert line.shape[0] == 32 and line.dtype == np.uint8 and line.shape[1] > 100
    assert np.median(line) < 20 and line.max() >= 240  # white ink on black (paper near 0), stretched
    assert np.array_equal(normalize_line(255 - scan, 32), line)  # light ink on dark: the same line
    big = np.asarray(Image.fromarray(scan).resize((scan.shape[1] * 3, scan.shape[0] * 3)))
    assert abs(normalize_line(big, 32).shape[1] - line.shape[1]) <= 3  # aspect kept, scale-free
    faint = (200 + scan.astype(np.float32) / 255 * 40).astype(np.uint8)  # low-contrast pencil
    assert normalize_line(faint, 32).max() >= 240
    fitted = normalize_line(scan, 32, width=64)
    assert fitted.shape == (32, 64) and fitted.any()  # a long line shrinks to fit a fixed width


def test_reads_any_height_width_and_polarity(predictor, scan):
    text, confidence = predictor.predict(scan)
    assert isinstance(text, str) and 0.0 <= confidence <= 1.0
    assert predictor.predict(255 - scan) == (text, confidence)
    wide = np.tile(scan, (1, 6))  # wider than the 128 pixels the model was built with
    assert isinstance(predictor.predict(wide)[0], str)


def test_blank_line_is_empty_text(predictor):
    assert predictor.predict(np.full((50, 300), 240, np.uint8)) == ("", 1.0)


def test_bad_input_is_a_clear_error(predictor, tmp_path):
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is not a picture")
    with pytest.raises(ImageError, match="not an image"):
        predictor.predict(path)
