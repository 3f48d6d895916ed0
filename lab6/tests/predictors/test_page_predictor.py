"""The page predictor: a page image in; its text, line boxes and confidences out."""

import io

import numpy as np
import pytest
from lab_folders import SUPPORT_DIR
from PIL import Image

from text_recognizer.data.character_mapping import MAPPING
from text_recognizer.data.synthetic.page_rendering import PAGE_CLASSES
from text_recognizer.images.checks import ImageError
from text_recognizer.models.handwriting_line_model import HandwritingLineModel
from text_recognizer.models.line_detector_model import LineDetectorModel
from text_recognizer.predictors.page_predictor import PagePredictor, PageReading, draw_boxes


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    """Untrained tiny models: these tests check the plumbing and the errors, not the reading."""
    folder = tmp_path_factory.mktemp("weights")
    detector = LineDetectorModel(list(PAGE_CLASSES), (64, 64), "line_detector",
                                 {"filters": [4, 8, 8, 8], "dilation_rates": [2]})
    lines = HandwritingLineModel(MAPPING, (32, 128), "line_crnn",
                                 {"conv_dims": [4, 4, 8, 8], "lstm_dim": 8, "lstm_layers": 1})
    return PagePredictor(detector.save(folder / detector.name)[1], lines.save(folder / lines.name)[1])


def test_reads_a_page_into_lines(predictor, monkeypatch):
    page = np.full((200, 300), 235, np.uint8)
    page[40:60, 20:280] = 30
    page[100:120, 20:200] = 30
    # The detector is untrained: give it the two lines, check the rest of the pipeline.
    monkeypatch.setattr(predictor, "detect", lambda image: [(40, 20, 60, 280), (100, 20, 120, 200)])
    monkeypatch.setattr(predictor.line_predictor, "predict", lambda crop: (f"w{crop.shape[1]}", 0.5))
    reading = predictor.predict(page)
    assert isinstance(reading, PageReading) and [line.box for line in reading.lines][0] == (40, 20, 60, 280)
    assert reading.text == "w266\nw186" and reading.confidence == 0.5


def test_a_page_past_the_size_cap_is_read_shrunk_and_boxed_in_its_own_pixels(predictor, monkeypatch):
    from text_recognizer.images.page_size import MAX_PAGE_SIDE

    page = np.full((2 * MAX_PAGE_SIDE, 400), 235, np.uint8)
    page[200:240, 20:380] = 30
    seen = []
    monkeypatch.setattr(predictor, "detect", lambda image: seen.append(image.shape) or [(100, 10, 120, 190)])
    monkeypatch.setattr(predictor.line_predictor, "predict", lambda crop: ("line", 0.5))
    reading = predictor.predict(page)
    assert seen == [(MAX_PAGE_SIDE, 200)]  # the detector saw the shrunk page only
    assert reading.lines[0].box == (200, 20, 240, 380)  # the box in the page as it was sent


def test_detected_boxes_are_in_page_pixels(predictor):
    page = np.full((300, 200), 240, np.uint8)
    page[50:70, 10:190] = 20
    for top, left, bottom, right in predictor.detect(page):
        assert 0 <= top < bottom <= 300 and 0 <= left < right <= 200


def test_blank_page_is_empty_text(predictor):
    reading = predictor.predict(np.full((256, 256), 245, np.uint8))
    assert reading.text == "" and reading.lines == [] and reading.confidence == 1.0


def test_bad_files_get_clear_errors(predictor, tmp_path):
    text_file = tmp_path / "page.png"
    text_file.write_text("not an image")
    with pytest.raises(ImageError, match="not an image"):
        predictor.predict(text_file)
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(buffer, format="PNG")
    with pytest.raises(ImageError, match="corrupt or truncated"):
        predictor.predict(buffer.getvalue()[:60])
    with pytest.raises(ImageError, match="too small"):
        predictor.predict(np.zeros((4, 400), np.uint8))


def test_enormous_page_is_refused(predictor, monkeypatch):
    from text_recognizer.images import reading

    monkeypatch.setattr(reading, "MAX_PIXELS", 1000)
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(buffer, format="PNG")
    with pytest.raises(ImageError, match="scale it down"):
        predictor.predict(buffer.getvalue())


def test_boxes_drawn_for_people():
    picture = draw_boxes(np.full((50, 50), 255, np.uint8), [(10, 10, 20, 40)])
    assert picture.mode == "RGB" and picture.getpixel((10, 15)) == (220, 30, 30)


def test_deployed_detector_finds_the_support_pages_lines(tmp_path):
    import json

    from text_recognizer.models.line_boxes import match_boxes

    support = SUPPORT_DIR / "iam_pages"
    labels = json.loads((support / "labels.json").read_text())
    lines = HandwritingLineModel(MAPPING, (32, 128), "line_crnn",
                                 {"conv_dims": [4, 4, 8, 8], "lstm_dim": 8, "lstm_layers": 1})
    predictor = PagePredictor(line_config=lines.save(tmp_path / lines.name)[1])  # the deployed detector
    for name, label in sorted(labels.items()):
        page = np.asarray(Image.open(support / name).convert("L"))
        scores = match_boxes(predictor.detect(page), [tuple(box) for box in label["boxes"]])
        assert scores["f1"] >= 0.8, (name, scores)
