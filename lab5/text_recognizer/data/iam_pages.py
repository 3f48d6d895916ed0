"""Pages of handwriting with their line boxes: what the line detector learns from.

    pages = IamPages()                # the IAM substitute's pages (IAM forms: see below)
    pages.x_train                     # uint8 (N, 128, 128): pages scaled to the detector's size,
                                      #   white ink on black (`images/line_normalization.ink_levels`)
    pages.y_train                     # uint8 (N, 128, 128): 0 background, 1 line, 2 between lines
    pages.pages("test", 5)            # full-size `Page`s (image, boxes, texts) for page-level CER

A substitute page is written by one writer of the split (`synthetic/page_rendering.py`): 3 to 9
lines of Brown corpus text from the split's own documents, at 384 x 384 pixels; the detector reads
it scaled down to 128 x 128 (lines stay 6 pixels or more high), the line recognizer reads the
lines cropped from the full-size page. IAM forms can be cut the same way with
`IamDatabase.paragraph` (their handwritten part and its line boxes).
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from text_recognizer.images.line_normalization import detector_input

from .base import SPLITS, Dataset
from .synthetic.handwriting_writers import writers
from .synthetic.page_rendering import PAGE_CLASSES, Page, page_mask, render_page
from .synthetic.sentences import TextSampler, brown_sentences

PAGE_SIZE = (384, 384)
LINES_PER_PAGE = (3, 9)
MAX_LINE_LENGTH = 32


class IamPages(Dataset):
    """Substitute pages, scaled for the line detector, with per-pixel targets (module docstring).

    Args:
        size: side of the square page the detector reads.
        num_train: pages in the train split.
        num_val: pages in the validation split.
        num_test: pages in the test split.
        seed: seed of the text and rendering.
    """

    name = "iam_pages"
    mapping = list(PAGE_CLASSES)  # the per-pixel classes: background, line, between lines

    def __init__(self, size: int = 128, num_train: int = 400, num_val: int = 40, num_test: int = 100,
                 seed: int = 0) -> None:
        super().__init__()
        if size % 8 or size < 32:
            raise ValueError(f"size must be a multiple of 8 and at least 32, got {size}")
        self.size = size
        self.num_train, self.num_val, self.num_test = num_train, num_val, num_test
        self.seed = seed
        self.input_shape = (size, size)

    @property
    def label_shape(self) -> tuple[int, ...]:
        return (self.size, self.size)

    @property
    def is_substitute(self) -> bool:
        return True

    @property
    def source_name(self) -> str:
        return "IAM pages substitute (Brown corpus text handwritten by font 'writers', split by writer)"

    def cache_args(self) -> dict:
        return {"size": self.size, "num_train": self.num_train, "num_val": self.num_val,
                "num_test": self.num_test, "seed": self.seed, "page": list(PAGE_SIZE)}

    def pages(self, split: str, count: int | None = None) -> list[Page]:
        """The full-size pages of a split (the same ones the cache was built from), with boxes and texts."""
        count = {"train": self.num_train, "val": self.num_val, "test": self.num_test}[split] if count is None else count
        return render_pages(split, count, self.seed)

    def build(self) -> dict[str, np.ndarray]:
        arrays = {}
        for split in SPLITS:
            count = {"train": self.num_train, "val": self.num_val, "test": self.num_test}[split]
            x = np.zeros((count, self.size, self.size), np.uint8)
            y = np.zeros((count, self.size, self.size), np.uint8)
            for i, page in enumerate(tqdm(render_pages(split, count, self.seed, lazy=True), total=count,
                                          desc=f"{split} pages", leave=False, mininterval=5)):
                x[i], y[i] = detector_input(page.image, self.size), scaled_mask(page, self.size)
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x, y
        return arrays


def render_pages(split: str, count: int, seed: int = 0, lazy: bool = False):
    """`count` pages of `split`, page `i` written by writer `i % number of writers` of the split."""
    def generate():
        rng = np.random.default_rng([seed, 100 + SPLITS.index(split) if split in SPLITS else 199])
        texts = TextSampler(brown_sentences(split if split in SPLITS else "test"), MAX_LINE_LENGTH)
        split_writers = writers(split)
        for i in range(count):
            lines = [texts.sample(rng) for _ in range(int(rng.integers(*LINES_PER_PAGE, endpoint=True)))]
            yield render_page(lines, split_writers[i % len(split_writers)], rng, PAGE_SIZE)
    return generate() if lazy else list(generate())


def scaled_mask(page: Page, size: int) -> np.ndarray:
    """The page's per-pixel target at the detector's size (boxes scaled, then `page_mask`)."""
    sy, sx = size / page.image.shape[0], size / page.image.shape[1]
    boxes = [(int(top * sy), int(left * sx), max(int(top * sy) + 1, round(bottom * sy)),
              max(int(left * sx) + 1, round(right * sx))) for top, left, bottom, right in page.boxes]
    return page_mask(boxes, (size, size))
