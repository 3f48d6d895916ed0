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
    """The bounding box of each connected region (8-connectivity) of True pixels of `line_mask`.

    Regions lower than `min_height` pixels or with fewer than `min_area` pixels are noise: left
    out. The order of the boxes does not matter here.
    """
    raise NotImplementedError("Lab 5 exercise: implement components_to_boxes: The bounding box of each connected region (8-connectivity) of True pixels of `line_mask`. See notebooks/lab5.ipynb.")


def merge_same_line(boxes: list[Box], min_overlap: float = 0.5) -> list[Box]:
    """Merge boxes that lie on the same line into their union, until no two do.

    Two boxes are on the same line when their vertical overlap (rows both cover) is at least
    `min_overlap` times the height of the lower of the two boxes.
    """
    raise NotImplementedError("Lab 5 exercise: implement merge_same_line: Merge boxes that lie on the same line into their union, until no two do. See notebooks/lab5.ipynb.")


def split_tall_boxes(boxes: list[Box], between: np.ndarray, factor: float = 1.7) -> list[Box]:
    """Split each box taller than `factor` x the median box height where two lines meet.

    `between` is the per-pixel "between lines" probability (page height x width). A box is cut
    at the row inside it (away from its top and bottom quarter) whose mean `between`
    probability over the box's columns is highest; each part is split again if still too tall.
    With fewer than two boxes nothing is split (there is no typical height to compare with).
    """
    raise NotImplementedError("Lab 5 exercise: implement split_tall_boxes: Split each box taller than `factor` x the median box height where two lines meet. See notebooks/lab5.ipynb.")


def reading_order(boxes: list[Box]) -> list[Box]:
    """The boxes sorted as a person reads lines: by their vertical centre, then from the left."""
    raise NotImplementedError("Lab 5 exercise: implement reading_order: The boxes sorted as a person reads lines: by their vertical centre, then from the left. See notebooks/lab5.ipynb.")


def line_boxes(probabilities: np.ndarray, threshold: float = 0.5) -> list[Box]:
    """Line boxes in reading order from per-pixel class probabilities (H, W, 3).

    A pixel is a line pixel when its "line" probability exceeds `threshold`.
    """
    line_mask = probabilities[..., LINE] > threshold
    boxes = components_to_boxes(line_mask)
    boxes = merge_same_line(boxes)
    boxes = split_tall_boxes(boxes, probabilities[..., BETWEEN_LINES])
    return reading_order(boxes)


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
