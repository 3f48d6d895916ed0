"""From the line detector's per-pixel output to line boxes in reading order (Lab 5 exercise).

The detector says, for every pixel, how likely it is to be inside a line, between two lines, or
background. Turning that into one box per line takes four steps, one function each:

    boxes = components_to_boxes(line_mask)      # 1. connected regions of "line" pixels -> boxes
    boxes = merge_same_line(boxes)              # 2. pieces of one line (a wide word gap) -> one box
    boxes = split_tall_boxes(boxes, between)    # 3. two lines that touch -> split where they meet
    boxes = reading_order(boxes)                # 4. top to bottom (then left to right)

`line_boxes(probabilities)` runs them all. A box is (top, left, bottom, right) in pixels, bottom
and right exclusive, like numpy slices: `page[top:bottom, left:right]` is the line.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from text_recognizer.images.boxes import Box

LINE, BETWEEN_LINES = 1, 2


def components_to_boxes(line_mask: np.ndarray, min_height: int = 3, min_area: int = 30) -> list[Box]:
    """The bounding box of each connected region of True pixels of `line_mask`, specks dropped.

    The contract: two True pixels belong to the same region when a path of True pixels joins
    them, diagonal steps included (8-connectivity); each region gives one box (top, left,
    bottom, right), bottom and right exclusive; a region lower than `min_height` rows or with
    fewer than `min_area` True pixels is noise and gives none. The order does not matter.

    Labelling connected regions is a classic of image processing: the notebook names a library
    function that does it.

    Example (two regions and a one-pixel speck):

        >>> mask = np.zeros((40, 60), bool)
        >>> mask[2:9, 1:20] = True
        >>> mask[15:25, 30:55] = True
        >>> mask[33, 7] = True
        >>> sorted(components_to_boxes(mask))
        [(2, 1, 9, 20), (15, 30, 25, 55)]

    Notebook: "Exercise: from the detector's pixels to line boxes".
    """
    ### BEGIN SOLUTION lab5
    labels, count = ndimage.label(line_mask, structure=np.ones((3, 3)))
    boxes = []
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        rows, cols = region
        area = int((labels[region] == index).sum())
        if rows.stop - rows.start >= min_height and area >= min_area:
            boxes.append((rows.start, cols.start, rows.stop, cols.stop))
    return boxes
    ### END SOLUTION


def merge_same_line(boxes: list[Box], min_overlap: float = 0.5) -> list[Box]:
    """Merge boxes that lie on the same line into their union, until no two do.

    The contract: two boxes are on the same line when their vertical overlap (the rows both
    cover) is at least `min_overlap` times the height of the lower of the two; they are
    replaced by their union (the smallest box holding both). A union can reach a box that
    neither piece reached: keep going until no two boxes of the result are on the same line.

    Example (two pieces of one line, split by a word gap, and the next line):

        >>> sorted(merge_same_line([(0, 0, 10, 20), (2, 30, 12, 50), (20, 0, 30, 40)]))
        [(0, 0, 12, 50), (20, 0, 30, 40)]

    Notebook: "Exercise: from the detector's pixels to line boxes".
    """
    ### BEGIN SOLUTION lab5
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                overlap = min(a[2], b[2]) - max(a[0], b[0])
                if overlap >= min_overlap * min(a[2] - a[0], b[2] - b[0]):
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes
    ### END SOLUTION


def split_tall_boxes(boxes: list[Box], between: np.ndarray, factor: float = 1.7) -> list[Box]:
    """Split each box taller than `factor` x the median box height where two lines meet.

    The contract: `between` is the per-pixel "between lines" probability (page height x width).
    A box taller than `factor` times the median height of `boxes` is cut in two at the row,
    inside it and away from its top and bottom quarter, whose mean `between` probability over
    the box's columns is highest; each part is split again while it is still too tall. Boxes
    that are not too tall come back as they are; with fewer than two boxes nothing is split
    (there is no typical height to compare with). The order does not matter.

    Example (median height 10: the box 24 rows high holds two lines that meet at row 51):

        >>> between = np.zeros((64, 40))
        >>> between[51] = 1.0
        >>> sorted(split_tall_boxes([(0, 0, 10, 40), (20, 0, 30, 40), (40, 0, 64, 40)], between))
        [(0, 0, 10, 40), (20, 0, 30, 40), (40, 0, 51, 40), (51, 0, 64, 40)]

    Notebook: "Exercise: from the detector's pixels to line boxes".
    """
    ### BEGIN SOLUTION lab5
    if len(boxes) < 2:
        return list(boxes)
    median = float(np.median([b[2] - b[0] for b in boxes]))
    result, todo = [], list(boxes)
    while todo:
        top, left, bottom, right = todo.pop()
        height = bottom - top
        if height <= factor * median or height < 4:
            result.append((top, left, bottom, right))
            continue
        rows = between[top:bottom, left:right].mean(axis=1)
        low, high = height // 4, height - height // 4
        cut = top + low + int(np.argmax(rows[low:high]))
        todo += [(top, left, cut, right), (cut, left, bottom, right)]
    return result
    ### END SOLUTION


def reading_order(boxes: list[Box]) -> list[Box]:
    """The boxes sorted as a person reads lines: top to bottom, then left to right.

    The contract: boxes are ordered by their vertical centre; boxes with the same centre, from
    the left. (Two pieces of one line can differ in height: comparing their tops would read
    the taller one first.)

    Example:

        >>> reading_order([(50, 0, 60, 10), (0, 30, 10, 40), (2, 0, 8, 20)])
        [(2, 0, 8, 20), (0, 30, 10, 40), (50, 0, 60, 10)]

    Notebook: "Exercise: from the detector's pixels to line boxes".
    """
    ### BEGIN SOLUTION lab5
    return sorted(boxes, key=lambda b: ((b[0] + b[2]) / 2, b[1]))
    ### END SOLUTION


def line_boxes(probabilities: np.ndarray, threshold: float = 0.5) -> list[Box]:
    """Line boxes in reading order from per-pixel class probabilities (H, W, 3).

    A pixel is a line pixel when its "line" probability exceeds `threshold`.
    """
    line_mask = probabilities[..., LINE] > threshold
    boxes = components_to_boxes(line_mask)
    boxes = merge_same_line(boxes)
    boxes = split_tall_boxes(boxes, probabilities[..., BETWEEN_LINES])
    return reading_order(boxes)


def boxes_with_confidence(probabilities: np.ndarray, threshold: float = 0.5) -> tuple[list[Box], float]:
    """(`line_boxes`, the mean "line" probability inside them; 1.0 when there is none) of (H, W, 3) probabilities.

    What a line detector's `predict_on_image` gives, the Keras model's and the compiled one's alike.
    """
    boxes = line_boxes(probabilities, threshold)
    confidence = [float(probabilities[top:bottom, left:right, LINE].mean()) for top, left, bottom, right in boxes]
    return boxes, float(np.mean(confidence)) if confidence else 1.0


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not meet)."""
    height = min(a[2], b[2]) - max(a[0], b[0])
    width = min(a[3], b[3]) - max(a[1], b[1])
    if height <= 0 or width <= 0:
        return 0.0
    inter = height * width
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def match_boxes(predicted: list[Box], target: list[Box], min_iou: float = 0.5) -> dict[str, float]:
    """True positives, precision, recall and F1 of predicted boxes at IoU >= `min_iou` (one match each),
    and the mean IoU of each target box with its best prediction."""
    unmatched = list(range(len(predicted)))
    hits, best = 0, []
    for box in target:
        scores = [box_iou(box, predicted[i]) for i in unmatched]
        best.append(max((box_iou(box, p) for p in predicted), default=0.0))
        if scores and max(scores) >= min_iou:
            unmatched.pop(int(np.argmax(scores)))
            hits += 1
    precision = hits / len(predicted) if predicted else float(not target)
    recall = hits / len(target) if target else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"true_positives": hits, "num_predicted": len(predicted), "num_target": len(target),
            "precision": precision, "recall": recall, "f1": f1,
            "mean_iou": float(np.mean(best)) if best else 1.0}
