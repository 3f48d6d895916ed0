"""The student's augmentation transforms, called in the sandbox with a generator seeded there.

Every batch is built here and every property is checked here, on the arrays that come back.
"""

from __future__ import annotations

import numpy as np

from autograder.pipeline.marks import graded

IMPORTS = ("text_recognizer.data.line_augmentation",)
HIDDEN = "Checked on hidden line batches: beyond the figures above, no details are shown."


def lines(seed: int, count: int = 5) -> np.ndarray:
    """White-on-black lines, each with a vertical bar and a horizontal stroke at its own place."""
    rng = np.random.default_rng([seed, 51])
    images = np.zeros((count, 32, 128), np.uint8)
    for image in images:
        left = int(rng.integers(10, 40))
        image[6:26, left : left + 3] = 255
        image[15:17, left + 20 : left + 70] = 255
    return images


def call(sandbox, name: str, images: np.ndarray, seed: int, **kwargs) -> np.ndarray | None:
    # `value` keeps the array's dtype (`array` would make it float64): the contract keeps uint8.
    reply = sandbox.call(name, images, on=("seeded_line_augmentation", {"seed": seed}), observe="value",
                         imports=IMPORTS, timeout=60, **kwargs)
    value = reply.unwrap()
    return value if isinstance(value, np.ndarray) else None


def _same_shape(out, images) -> bool:
    """The same shape and dtype (uint8), as the module's contract says."""
    return out is not None and out.shape == images.shape and out.dtype == images.dtype


@graded("random_slant: each line leans by its own angle", 8, hidden_message=HIDDEN)
def test_slant(sandbox, seed, feedback):
    images = lines(seed)
    out = call(sandbox, "random_slant", images, seed, max_degrees=20.0)
    assert _same_shape(out, images), "expected a uint8 batch of the same shape"
    leans = [np.flatnonzero(o[7] > 127).mean() - np.flatnonzero(o[24] > 127)[:3].mean() for o in out]
    feedback.say(f"vertical strokes lean by {[round(float(x), 1) for x in leans]} pixels")
    assert max(abs(x) for x in leans) > 2 and len({round(float(x), 1) for x in leans}) > 1, "strokes do not lean"
    upright = call(sandbox, "random_slant", images, seed, max_degrees=0.0)
    assert upright is not None and np.array_equal(upright, images), "0 degrees must leave the lines unchanged"


@graded("random_scale: smaller, left-aligned, stretched", 8, hidden_message=HIDDEN)
def test_scale(sandbox, seed, feedback):
    images = lines(seed)
    half = call(sandbox, "random_scale", images, seed, scale=[0.5, 0.5], stretch=[1.0, 1.0])
    assert _same_shape(half, images), "expected a uint8 batch of the same shape"
    heights = [np.ptp(np.flatnonzero(o.max(axis=1) > 127)) + 1 for o in half]
    feedback.say(f"bar heights at half size: {heights} (20 before)")
    assert all(8 <= h <= 12 for h in heights), "half size should make 20-pixel strokes about 10 high"
    assert all(o[:, 64:].max() < 128 for o in half), "the writing should stay left-aligned"
    wide = call(sandbox, "random_scale", images, seed, scale=[1.0, 1.0], stretch=[1.5, 1.5])
    ends = [np.flatnonzero(o.max(axis=0) > 127).max() for o in wide]
    widths = [np.flatnonzero(i.max(axis=0) > 127).max() for i in images]
    assert all(e >= min(images.shape[2] - 1, w * 1.3) for e, w in zip(ends, widths, strict=True)), (
        "stretch 1.5 should widen the writing")


@graded("random_stroke_width: thicker or thinner strokes", 6, hidden_message=HIDDEN)
def test_stroke_width(sandbox, seed, feedback):
    images = lines(seed)
    out = call(sandbox, "random_stroke_width", images, seed, probability=1.0)
    assert _same_shape(out, images), "expected a uint8 batch of the same shape"
    changed = ((out > 127).sum(axis=(1, 2)) != (images > 127).sum(axis=(1, 2)))
    feedback.say(f"{int(changed.sum())} of {len(images)} lines changed with probability 1")
    assert changed.all(), "with probability 1 every line's strokes must change"
    same = call(sandbox, "random_stroke_width", images, seed, probability=0.0)
    assert same is not None and np.array_equal(same, images), "with probability 0 nothing may change"


@graded("random_contrast_noise: contrast, background, noise", 6, hidden_message=HIDDEN)
def test_contrast_noise(sandbox, seed, feedback):
    images = lines(seed)
    out = call(sandbox, "random_contrast_noise", images, seed, contrast=[0.5, 0.5], noise=0.0)
    assert _same_shape(out, images), "expected a uint8 batch of the same shape"
    ink = [int(o[16, np.flatnonzero(i[16] > 127)[-1]]) - int(o[0, 0]) for o, i in zip(out, images, strict=True)]
    feedback.say(f"ink above background at contrast 0.5: {ink} (expected about 128)")
    assert all(abs(x - 127.5) <= 3 for x in ink), "ink * 0.5 should sit 127 above the background"
    noisy = call(sandbox, "random_contrast_noise", images, seed, noise=0.2)
    assert noisy is not None and noisy[:, :5].std() > 5, "noise 0.2 should add visible noise"


@graded("augment_lines: random but reproducible", 4, hidden_message=HIDDEN)
def test_augment_lines(sandbox, seed, feedback):
    images = lines(seed)
    first = call(sandbox, "augment_lines", images, seed)
    second = call(sandbox, "augment_lines", images, seed)
    assert _same_shape(first, images) and second is not None, "expected a uint8 batch of the same shape"
    assert np.array_equal(first, second), "the same seed must give the same batch"
    assert not np.array_equal(first, images), "augment_lines must change the batch"
