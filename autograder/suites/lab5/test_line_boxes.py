"""The student's line-box post-processing, on hidden layouts built here, against numpy expectations."""

from __future__ import annotations

import numpy as np

from autograder.marks import graded

MODULE = "text_recognizer.models.line_boxes"
IMPORTS = (MODULE,)
HIDDEN = "Checked on hidden page layouts: beyond the figures above, no details are shown."


def _boxes(value) -> list[tuple[int, ...]] | None:
    if not isinstance(value, list) or not all(isinstance(b, list) and len(b) == 4 for b in value):
        return None
    return [tuple(int(x) for x in b) for b in value]


def call(sandbox, name: str, *args):
    reply = sandbox.call(f"{MODULE}:{name}", *args, observe="value", imports=IMPORTS, timeout=60)
    return _boxes(reply.unwrap())


def layout(seed: int, tag: int) -> tuple[list[tuple[int, int, int, int]], np.random.Generator]:
    """Line boxes of a page: 4 to 7 lines with random heights, gaps and widths."""
    rng = np.random.default_rng([seed, tag])
    boxes, top = [], int(rng.integers(2, 8))
    for _ in range(int(rng.integers(4, 8))):
        height = int(rng.integers(6, 12))
        left = int(rng.integers(2, 20))
        boxes.append((top, left, top + height, left + int(rng.integers(40, 100))))
        top += height + int(rng.integers(4, 10))
    return boxes, rng


@graded("components_to_boxes: regions to boxes, specks dropped", 8, hidden_message=HIDDEN)
def test_components(sandbox, seed, feedback):
    boxes, rng = layout(seed, 61)
    mask = np.zeros((boxes[-1][2] + 10, 130), bool)
    for top, left, bottom, right in boxes:
        mask[top:bottom, left:right] = True
    mask[-3, 3] = mask[-2, 120] = True  # specks
    got = call(sandbox, "components_to_boxes", mask)
    assert got is not None, "expected a list of (top, left, bottom, right) boxes"
    feedback.say(f"{len(got)} boxes for {len(boxes)} regions")
    assert sorted(got) == sorted(boxes), "the boxes are not the regions' bounding boxes"


@graded("merge_same_line: pieces of a line become one box", 8, hidden_message=HIDDEN)
def test_merge(sandbox, seed, feedback):
    boxes, rng = layout(seed, 62)
    pieces = []
    for top, left, bottom, right in boxes:
        cut = (left + right) // 2
        pieces += [(top, left, bottom, cut - 4), (top + 1, cut + 4, bottom - 1, right)]
    order = rng.permutation(len(pieces))
    got = call(sandbox, "merge_same_line", [list(pieces[i]) for i in order])
    assert got is not None, "expected a list of boxes"
    feedback.say(f"{len(pieces)} pieces -> {len(got)} boxes (expected {len(boxes)})")
    assert sorted(got) == sorted(boxes), "each line's pieces should merge into the line's box"


@graded("split_tall_boxes: touching lines split where they meet", 8, hidden_message=HIDDEN)
def test_split(sandbox, seed, feedback):
    rng = np.random.default_rng([seed, 63])
    # Lines of one height and gap: the joined box is 2.4 lines high, each half 1.2 (under 1.7).
    boxes = [(4 + 14 * n, int(rng.integers(2, 20)), 14 + 14 * n, int(rng.integers(60, 120)))
             for n in range(int(rng.integers(4, 8)))]
    first, second = boxes[1], boxes[2]
    meet = (first[2] + second[0]) // 2
    joined = (first[0], min(first[1], second[1]), second[2], max(first[3], second[3]))
    tall = [boxes[0], joined, *boxes[3:]]
    between = np.zeros((boxes[-1][2] + 10, 130))
    between[meet] = 0.9
    got = call(sandbox, "split_tall_boxes", [list(b) for b in tall], between)
    assert got is not None, "expected a list of boxes"
    expected = sorted([boxes[0], (joined[0], joined[1], meet, joined[3]), (meet, joined[1], joined[2], joined[3]),
                       *boxes[3:]])
    feedback.say(f"{len(tall)} boxes -> {len(got)} (expected {len(expected)})")
    assert sorted(got) == expected, "the tall box should be split at the row between its lines"


@graded("reading_order: top to bottom, then left to right", 4, hidden_message=HIDDEN)
def test_order(sandbox, seed, feedback):
    boxes, rng = layout(seed, 64)
    with_neighbours = [*boxes, (boxes[0][0], 110, boxes[0][2], 125)]
    shuffled = [list(with_neighbours[i]) for i in rng.permutation(len(with_neighbours))]
    got = call(sandbox, "reading_order", shuffled)
    expected = sorted(with_neighbours, key=lambda b: ((b[0] + b[2]) / 2, b[1]))
    assert got == expected, "the boxes are not in reading order"


@graded("line_boxes: from per-pixel probabilities to lines", 6, hidden_message=HIDDEN)
def test_line_boxes(sandbox, seed, feedback):
    boxes, rng = layout(seed, 65)
    classes = np.zeros((boxes[-1][2] + 10, 130), np.int64)
    for (top, left, bottom, right), following in zip(boxes, [*boxes[1:], None], strict=False):
        classes[top:bottom, left:right] = 1
        if following is not None:
            classes[bottom:following[0], min(left, following[1]):max(right, following[3])] = 2
    got = call(sandbox, "line_boxes", np.eye(3)[classes].astype(np.float32))
    assert got is not None, "expected a list of boxes"
    feedback.say(f"{len(got)} lines found (the page has {len(boxes)})")
    assert got == boxes, "the lines are not the page's lines in reading order"
