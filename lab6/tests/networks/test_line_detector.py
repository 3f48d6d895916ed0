"""The line detector: substitute pages with boxes, the per-pixel network, its model and metrics."""

import numpy as np
import pytest

from text_recognizer.data.iam_pages import IamPages, detector_input, render_pages, scaled_mask
from text_recognizer.data.synthetic.handwriting_writers import writers
from text_recognizer.data.synthetic.page_rendering import BETWEEN_LINES, LINE, PAGE_CLASSES, render_page
from text_recognizer.images.checks import ImageError
from text_recognizer.models.line_detector_model import LineDetectorModel, target_boxes
from text_recognizer.networks.line_detector import line_detector

TINY = {"filters": [4, 8, 8, 8], "dilation_rates": [2]}


def test_page_has_a_box_per_line_and_a_mask():
    page = render_page(["first line here", "second one", "and a third"], writers("val")[0],
                       np.random.default_rng(0), size=(300, 300))
    assert page.image.shape == page.mask.shape == (300, 300) and len(page.boxes) == len(page.texts) == 3
    tops = [box[0] for box in page.boxes]
    assert tops == sorted(tops) and all(a[2] <= b[0] for a, b in zip(page.boxes, page.boxes[1:]))
    for top, left, bottom, right in page.boxes:
        assert (page.image[top:bottom, left:right] < 128).any()  # ink inside every box
        assert (page.mask[top:bottom, left:right] == LINE).all()
    assert (page.mask == BETWEEN_LINES).any() and np.median(page.image) > 150
    assert render_page([], writers("val")[0], np.random.default_rng(0), size=(64, 64)).boxes == []


def test_pages_dataset_scaled_for_the_detector(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path))
    pages = IamPages(size=64, num_train=2, num_val=1, num_test=1)
    data = pages.load()
    assert data.x_train.shape == data.y_train.shape == (2, 64, 64) and pages.is_substitute
    assert set(np.unique(data.y_train)) <= {0, 1, 2} and pages.mapping == list(PAGE_CLASSES)
    full = pages.pages("test")[0]
    assert np.array_equal(detector_input(full.image, 64), data.x_test[0])
    assert len(target_boxes(data.y_test[0])) == len(full.boxes)


def test_network_gives_per_pixel_logits_for_any_page_size():
    network = line_detector((64, 64), 3, **TINY)
    for shape in ((64, 64), (96, 128)):
        assert network.predict_on_batch(np.zeros((1, *shape), np.float32)).shape == (1, *shape, 3)


def test_model_boxes_and_metrics_on_tiny_pages():
    model = LineDetectorModel(list(PAGE_CLASSES), (64, 64), "line_detector", TINY)
    page = render_pages("val", 1)[0]
    x, y = detector_input(page.image, 64)[None], scaled_mask(page, 64)[None]
    boxes, confidence = model.predict_on_image(x[0][:61, :59])  # any size: padded inside
    assert isinstance(boxes, list) and 0.0 <= confidence <= 1.0
    scores = model.evaluate(x, y)
    assert {"box_precision", "box_recall", "box_f1", "mean_iou", "pixel_accuracy"} <= set(scores)
    with pytest.raises(ImageError, match="page"):
        model.check_image(np.zeros((4, 4)))
