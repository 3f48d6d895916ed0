"""The student's line-box post-processing, on hidden layouts built here, against numpy expectations,
and on pages rendered here by the grader's writers, from a simulated detector's output."""

from __future__ import annotations

import numpy as np

from autograder.pipeline.marks import graded
from autograder.suites.reference import reference_module

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


@graded("components_to_boxes: regions to boxes, specks dropped", 6, hidden_message=HIDDEN)
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


@graded("merge_same_line: pieces of a line become one box", 6, hidden_message=HIDDEN)
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


@graded("line_boxes: from per-pixel probabilities to lines", 4, hidden_message=HIDDEN)
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


PAGE_WORDS = ["grader", "quiet", "river", "morning", "letters", "window", "paper", "north", "of", "and", "the",
              "jumped", "yesterday", "a", "kind", "number", "light", "over", "before", "garden"]


def detector_outputs(seed: int, count: int = 3) -> list[tuple[np.ndarray, list[tuple[int, ...]]]]:
    """Pages written by the grader's writers, each with what a good detector says about it and its lines.

    The detector's output is the page's per-pixel target (`page_rendering.page_mask`) as a
    detector makes it: soft edges (blurred), a word gap that splits a line, two lines that touch
    through one stroke (the "between" rows still mark where they meet) and specks of ink. Only
    pages whose lines the reference's post-processing finds are kept: the contract must hold.
    """
    from scipy import ndimage

    rendering = reference_module("text_recognizer.data.synthetic.page_rendering")
    writers = reference_module("text_recognizer.data.synthetic.handwriting_writers").GRADER_WRITERS
    reference = reference_module("text_recognizer.models.line_boxes").line_boxes
    rng = np.random.default_rng([seed, 66])
    outputs = []
    while len(outputs) < count:
        texts = [" ".join(rng.choice(PAGE_WORDS, size=int(rng.integers(3, 7)))) for _ in range(int(rng.integers(5, 9)))]
        page = rendering.render_page(texts, writers[int(rng.integers(len(writers)))], rng, (384, 384))
        classes, boxes = page.mask.astype(np.int64), page.boxes
        top, left, bottom, right = boxes[int(rng.integers(len(boxes)))]
        gap = left + (right - left) // 3
        classes[top:bottom, gap : gap + max(6, (bottom - top) // 2)] = 0  # a wide word gap
        upper = int(rng.integers(len(boxes) - 1))
        stroke = max(boxes[upper][1], boxes[upper + 1][1]) + int(rng.integers(5, 30))
        classes[boxes[upper][2] : boxes[upper + 1][0], stroke : stroke + 3] = 1  # a descender meets the next line
        for _ in range(4):  # specks of ink on the paper
            row, col = int(rng.integers(0, 382)), int(rng.integers(0, 382))
            speck = classes[row : row + 2, col : col + 2]
            speck[speck == 0] = 1
        soft = ndimage.gaussian_filter(np.eye(3)[classes], sigma=(1.0, 1.0, 0)) + rng.uniform(0, 0.05, (384, 384, 3))
        probabilities = (soft / soft.sum(axis=-1, keepdims=True)).astype(np.float32)
        if lines_found(reference(probabilities), boxes):
            outputs.append((probabilities, boxes))
    return outputs


def lines_found(got, boxes) -> bool:
    """One box per line, in reading order, each on its line's rows (row IoU at least 0.5) and
    holding at least 90% of its columns (blank paper beside a line does not hurt reading it)."""
    if got is None or len(got) != len(boxes):
        return False

    def on_line(box, line) -> bool:
        rows = min(box[2], line[2]) - max(box[0], line[0])
        row_iou = rows / (max(box[2], line[2]) - min(box[0], line[0]))
        cols = min(box[3], line[3]) - max(box[1], line[1])
        return rows > 0 and row_iou >= 0.5 and cols >= 0.9 * (line[3] - line[1])

    return all(on_line(box, line) for box, line in zip(got, boxes, strict=True))


@graded("line_boxes: the lines of rendered pages, from a detector's output", 6, hidden_message=HIDDEN)
def test_line_boxes_on_rendered_pages(sandbox, seed, feedback):
    outputs = detector_outputs(seed)
    found = 0
    for probabilities, boxes in outputs:
        got = call(sandbox, "line_boxes", probabilities)
        found += lines_found(got, boxes)
        feedback.say(f"{len(got) if got is not None else 'no'} boxes for a page of {len(boxes)} lines")
    feedback.partial(found / len(outputs), f"{found} of {len(outputs)} pages read right.")
    assert found == len(outputs), "some pages' lines were not found: one box per line, in reading order"
