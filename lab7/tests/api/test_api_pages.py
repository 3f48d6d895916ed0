"""Pages: `kind=page` (and `auto` on a page-shaped image) goes to Lab 5's page predictor.

The deployed page models may be missing (then `kind=page` answers 501, see test_api_routes.py);
here a stand-in page predictor answers Lab 5's `PageReading`, so that the API's side of the
contract is tested everywhere: boxes (top, left, bottom, right) become {x, y, width, height},
the lines keep their order, the text joins them with newlines.
"""

from __future__ import annotations

import numpy as np
import pytest
from api_inputs import png_bytes
from lab_folders import SUPPORT_DIR

from text_recognizer.api.app import create_app, recognizer_of
from text_recognizer.images.boxes import Box
from text_recognizer.predictors.readings import LineReading, PageReading
from text_recognizer.predictors.recognizer import Recognizer, warm_up_line

pytestmark = pytest.mark.xdist_group("lab6_app")


class StandInPagePredictor:
    """Answers two lines for any page, and records the page it was given."""

    def __init__(self) -> None:
        self.pages: list[np.ndarray] = []

    def predict(self, image: np.ndarray) -> PageReading:
        self.pages.append(image)
        lines = [LineReading(Box(10, 20, 50, 300), "first line", 0.9),
                 LineReading(Box(70, 25, 110, 280), "second", 0.6)]
        return PageReading("first line\nsecond", lines)


@pytest.fixture()
def page_client(app):
    line_predictor = recognizer_of(app).line_predictor
    stand_in = StandInPagePredictor()
    recognizer = Recognizer(line_predictor, stand_in, {"page": {"name": "stand-in"}})
    return create_app(recognizer, {"WARM_UP": False}).test_client(), stand_in


@pytest.mark.parametrize("kind", ["page", "auto"])
def test_a_page_is_read_by_the_page_predictor(page_client, kind):
    client, stand_in = page_client
    page = np.full((200, 320), 240, np.uint8)
    response = client.post(f"/v1/predict?kind={kind}", data=png_bytes(page), content_type="image/png")
    assert response.status_code == 200, response.json
    answer = response.json
    assert answer["kind"] == "page" and answer["text"] == "first line\nsecond"
    assert [line["box"] for line in answer["lines"]] == [
        {"x": 20, "y": 10, "width": 280, "height": 40}, {"x": 25, "y": 70, "width": 255, "height": 40}]
    assert answer["confidence"] == 0.6 and answer["model"]["name"] == "stand-in"
    assert stand_in.pages and stand_in.pages[-1].shape == (200, 320)


def test_auto_still_reads_a_line_shaped_image_as_a_line(page_client):
    client, stand_in = page_client
    line = np.zeros((28, 400), np.uint8)
    response = client.post("/v1/predict?kind=auto", data=png_bytes(line), content_type="image/png")
    assert response.status_code == 200 and response.json["kind"] == "line" and not stand_in.pages


def test_a_page_the_predictor_refuses_is_a_422(app):
    class Refusing:
        def predict(self, image):
            raise ValueError("The page is 30x30 pixels: too small to hold lines.")

    client = create_app(Recognizer(recognizer_of(app).line_predictor, Refusing()), {"WARM_UP": False}).test_client()
    response = client.post("/v1/predict?kind=page", data=png_bytes(np.zeros((30, 30), np.uint8)),
                           content_type="image/png")
    assert response.status_code == 422 and "too small" in response.json["error"]["message"]


def test_a_page_too_small_to_hold_a_line_is_an_empty_answer(page_client):
    # Found by schemathesis: a valid 1x1 PNG sent as a page was a 422 the description did not give.
    client, stand_in = page_client
    for kind in ("page", "auto"):
        response = client.post(f"/v1/predict?kind={kind}", data=png_bytes(np.zeros((1, 1), np.uint8)),
                               content_type="image/png")
        assert response.status_code == 200, response.json
        assert response.json["kind"] == "page" and response.json["lines"] == [] and response.json["text"] == ""
    assert not stand_in.pages, "the page reader was asked to read a page that cannot hold a line"


def test_a_phone_photo_is_read_right_side_up(client):
    """A JPEG stored sideways with EXIF orientation 6, in perspective and shaded (`page_photos.py`).

    Its text must be within the CER that tests/images/test_page_photo.py states of the flat page's.
    """
    from page_photos import CANVAS, phone_photo
    from PIL import Image

    from text_recognizer.models.metrics import character_error_rate

    if not recognizer_of(client.application).reads_pages:
        pytest.skip("this installation reads no pages")
    page = np.asarray(Image.open(SUPPORT_DIR / "iam_pages" / "page_00.png"))
    photo = client.post("/v1/predict", data=phone_photo(page), content_type="image/jpeg").json
    flat = client.post("/v1/predict?kind=page", data=png_bytes(page), content_type="image/png").json
    assert photo["kind"] == "page" and (photo["image"]["height"], photo["image"]["width"]) == CANVAS
    assert len(photo["lines"]) > 5 and character_error_rate([photo["text"]], [flat["text"]]) <= 0.35


def test_warm_up_reads_a_page_and_lines_of_two_widths_before_any_request(app):
    """The page's line model is traced per new line width until TensorFlow relaxes it to any width
    (after a second shape): warm-up gives it two, so a worker's first page does not pay for it."""

    class RecordingLines:
        def __init__(self) -> None:
            self.shapes: list[tuple[int, int]] = []

        def predict(self, image: np.ndarray) -> tuple[str, float]:
            self.shapes.append(image.shape)
            return "warm", 1.0

    stand_in = StandInPagePredictor()
    stand_in.line_predictor = RecordingLines()
    Recognizer(recognizer_of(app).line_predictor, stand_in).warm_up()
    assert len(stand_in.pages) == 1
    widths = {shape[1] for shape in stand_in.line_predictor.shapes}
    assert len(widths) >= 2 and all(np.any(line < 128) for line in map(warm_up_line, widths))
