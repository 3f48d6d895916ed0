"""Lab 5 exercise: line-detector post-processing, from per-pixel output to boxes in reading order."""

import numpy as np

from text_recognizer.models.line_boxes import (
    box_iou,
    components_to_boxes,
    line_boxes,
    match_boxes,
    merge_same_line,
    reading_order,
    split_tall_boxes,
)


def _probabilities(mask):
    """One-hot probabilities (H, W, 3) of a class mask."""
    return np.eye(3)[mask]


def test_components_become_boxes_and_specks_are_dropped():
    mask = np.zeros((40, 60), bool)
    mask[5:12, 3:30] = True  # a line piece
    mask[20:28, 10:50] = True  # another line
    mask[35, 5] = True  # a speck of noise
    boxes = sorted(components_to_boxes(mask))
    assert boxes == [(5, 3, 12, 30), (20, 10, 28, 50)], (
        f"expected the two regions' (top, left, bottom, right) boxes, ends exclusive, and no speck; got {boxes}")
    diagonal = np.zeros((10, 10), bool)
    diagonal[np.arange(10), np.arange(10)] = True  # 8-connected: one region
    assert components_to_boxes(diagonal, min_height=1, min_area=1) == [(0, 0, 10, 10)], (
        "diagonal neighbours belong to one region (8-connectivity)")


def test_pieces_of_one_line_are_merged():
    pieces = [(10, 0, 20, 30), (11, 40, 21, 70), (30, 0, 40, 50), (12, 80, 19, 90)]
    merged = sorted(merge_same_line(pieces))
    assert merged == [(10, 0, 21, 90), (30, 0, 40, 50)], f"the three pieces of the first line make one box: {merged}"
    apart = sorted(merge_same_line([(0, 0, 10, 10), (8, 20, 18, 30)]))
    assert apart == [(0, 0, 10, 10), (8, 20, 18, 30)], "2 shared rows of 10 are less than half: two lines"


def test_touching_lines_are_split_where_they_meet():
    between = np.zeros((80, 50))
    between[29, :] = 0.9  # where the two lines of the tall box meet
    boxes = [(0, 0, 10, 50), (40, 0, 50, 50), (60, 0, 70, 50), (15, 0, 37, 50)]
    split = sorted(split_tall_boxes(boxes, between))
    assert split == [(0, 0, 10, 50), (15, 0, 29, 50), (29, 0, 37, 50), (40, 0, 50, 50), (60, 0, 70, 50)], (
        f"the 22-row box (median 10) should be cut at row 29, where 'between' is strongest: {split}")
    assert split_tall_boxes([(0, 0, 50, 10)], between) == [(0, 0, 50, 10)], "one box: nothing to compare with"


def test_reading_order_is_top_to_bottom_then_left_to_right():
    boxes = [(50, 0, 60, 10), (0, 30, 10, 40), (0, 0, 10, 20), (20, 5, 30, 15)]
    ordered = reading_order(boxes)
    assert ordered == [(0, 0, 10, 20), (0, 30, 10, 40), (20, 5, 30, 15), (50, 0, 60, 10)], (
        f"top to bottom, then left to right: {ordered}")


def test_line_boxes_from_probabilities():
    mask = np.zeros((60, 80), np.int64)
    mask[40:48, 5:70] = 1
    mask[8:16, 5:30] = 1
    mask[9:16, 36:75] = 1  # same line as the one before, after a wide gap
    mask[16:40, 5:75] = 2
    assert line_boxes(_probabilities(mask)) == [(8, 5, 16, 75), (40, 5, 48, 70)]
    assert line_boxes(_probabilities(np.zeros((30, 30), np.int64))) == []  # an empty page


def test_box_metrics():
    assert box_iou((0, 0, 10, 10), (0, 5, 10, 15)) == 50 / 150
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    scores = match_boxes([(0, 0, 10, 10), (50, 50, 60, 60)], [(0, 1, 10, 10), (20, 0, 30, 10)])
    assert scores["precision"] == 0.5 and scores["recall"] == 0.5 and scores["f1"] == 0.5
