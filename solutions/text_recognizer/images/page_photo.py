"""A phone photo of paper -> the flat, evenly lit page the line detector reads.

    page = flatten_photo(grey)        # FlatPage: .image, and .to_photo(box) for boxes found in it

A photo of a page shows the paper as a bright quadrilateral on a darker background, seen in
perspective, often with a shadow across it. Three steps, each skipped when it has nothing to do:

1. **Find the page**: the largest bright region (Otsu's threshold on a small copy), and its four
   corners, the region's extreme points along the two diagonals. A region that is not
   quadrilateral enough, too small, or that fills the whole frame (a scan) is no page to find.
2. **Flatten it**: a perspective warp of that quadrilateral to an upright rectangle (Pillow's
   `PERSPECTIVE` transform), as wide and high as the quadrilateral's sides are long on average.
3. **Even out the light**: divide by the paper's brightness, estimated at a large scale
   (`background.smooth_background`: the ink taken away, what is left smoothed), so that a shadow
   does not look like ink to the detector. Evenly lit paper is left as it is.

A scan or a rendered page (no background around the paper, even light) passes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from text_recognizer.images.background import smooth_background
from text_recognizer.images.boxes import Box

SEARCH_SIDE = 256
"""The longest side of the small copy the page and the light are estimated on."""
MIN_PAGE_FRACTION = 0.15
"""The smallest share of the photo a page may cover (smaller bright regions are not the page)."""
FULL_FRAME_FRACTION = 0.9
"""A page covering more of the photo than this fills the frame: nothing to flatten."""
MIN_QUADRILATERAL_FILL = 0.9
"""How much of its four corners' quadrilateral the bright region must fill to count as a page."""
MIN_PAGE_CONTRAST = 40
"""Grey levels by which the paper must be brighter than the background around it."""
UNEVEN_LIGHT = 25
"""Grey levels between the paper's brightest and darkest parts above which the light is evened."""


@dataclass(frozen=True)
class FlatPage:
    """The page as the detector should read it, and how its pixels map back to the photo's.

    Args:
        image: the flat, evenly lit page (2-D uint8).
        homography: 3x3 matrix from `image`'s (x, y, 1) to the photo's; None when `image` is the
            photo's own pixels.
    """

    image: np.ndarray
    homography: np.ndarray | None = None

    def to_photo(self, box: Box) -> Box:
        """The box (in `image`'s pixels) in the photo's pixels: the bounds of its four corners."""
        if self.homography is None:
            return box
        corners = np.array([[box.left, box.top, 1], [box.right, box.top, 1], [box.right, box.bottom, 1],
                            [box.left, box.bottom, 1]], np.float64)
        mapped = corners @ self.homography.T
        xs, ys = mapped[:, 0] / mapped[:, 2], mapped[:, 1] / mapped[:, 2]
        return Box(int(np.floor(ys.min())), int(np.floor(xs.min())), int(np.ceil(ys.max())), int(np.ceil(xs.max())))


def flatten_photo(photo: np.ndarray) -> FlatPage:
    """The page found in `photo` (2-D uint8 grey), warped flat and evenly lit (see the module)."""
    photo = np.asarray(photo, np.uint8)
    corners = find_page(photo)
    if corners is None:
        return FlatPage(even_out_light(photo))
    flat, homography = warp_to_rectangle(photo, corners)
    return FlatPage(even_out_light(flat), homography)


def small_copy(image: np.ndarray, side: int = SEARCH_SIDE) -> tuple[np.ndarray, float]:
    """(`image` shrunk so its longest side is `side` (never enlarged), the factor back to full size)."""
    height, width = image.shape
    factor = min(1.0, side / max(height, width))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)), 1 / factor


def otsu_threshold(grey: np.ndarray) -> int:
    """The grey level that best splits `grey` (uint8) into a dark and a bright class (Otsu, 1979)."""
    probability = np.bincount(grey.ravel(), minlength=256).astype(np.float64) / max(grey.size, 1)
    dark_share = np.cumsum(probability)
    dark_sum = np.cumsum(probability * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (dark_sum[-1] * dark_share - dark_sum) ** 2 / (dark_share * (1 - dark_share))
    return int(np.argmax(np.nan_to_num(between, nan=-1.0)))  # a one-grey image has no split: 0


def find_page(photo: np.ndarray) -> np.ndarray | None:
    """The page's corners in `photo`'s pixels, (4, 2) as (x, y) from top-left clockwise; None if no page.

    None for a scan (the page fills the frame), a photo without a bright enough region, or a
    region that is not a quadrilateral (see the module's constants).
    """
    small, back = small_copy(photo)
    threshold = otsu_threshold(small)
    bright = ndimage.binary_opening(small > threshold, iterations=2)
    labels, count = ndimage.label(bright)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    region = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))
    ys, xs = np.nonzero(region)
    total = small.size
    if not MIN_PAGE_FRACTION * total <= len(xs) <= FULL_FRAME_FRACTION * total:
        return None
    if float(small[region].mean()) - float(small[~region].mean()) < MIN_PAGE_CONTRAST:
        return None
    diagonal, anti = xs + ys, xs - ys
    order = [np.argmin(diagonal), np.argmax(anti), np.argmax(diagonal), np.argmin(anti)]  # tl, tr, br, bl
    corners = np.stack([xs[order], ys[order]], axis=1).astype(np.float64)
    if quadrilateral_area(corners) * MIN_QUADRILATERAL_FILL > len(xs) or len(xs) > 1.1 * quadrilateral_area(corners):
        return None
    return (corners + 0.5) * back


def quadrilateral_area(corners: np.ndarray) -> float:
    """The area of the polygon with these (x, y) corners, in order (the shoelace formula)."""
    x, y = corners[:, 0], corners[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 3x3 perspective transform taking the four (x, y) points `source` to `target`."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return np.append(np.linalg.solve(np.array(rows, np.float64), np.array(values, np.float64)), 1.0).reshape(3, 3)


def warp_to_rectangle(photo: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the quadrilateral `corners` of `photo` warped to an upright rectangle, the rectangle -> photo map)."""
    top_left, top_right, bottom_right, bottom_left = corners
    width = round((np.linalg.norm(top_right - top_left) + np.linalg.norm(bottom_right - bottom_left)) / 2)
    height = round((np.linalg.norm(bottom_left - top_left) + np.linalg.norm(bottom_right - top_right)) / 2)
    rectangle = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    to_photo = homography(rectangle, corners)
    # Pillow's PERSPECTIVE asks, for each output pixel, where to sample the input: the rectangle -> photo map.
    coefficients = tuple((to_photo / to_photo[2, 2]).ravel()[:8])
    flat = Image.fromarray(photo).transform((max(width, 1), max(height, 1)), Image.Transform.PERSPECTIVE,
                                            coefficients, Image.Resampling.BILINEAR)
    return np.asarray(flat), to_photo


def even_out_light(page: np.ndarray) -> np.ndarray:
    """`page` divided by its paper's brightness (rescaled to 0..255) when that varies by more than
    `UNEVEN_LIGHT` grey levels; otherwise `page` itself."""
    small, _ = small_copy(page)
    # The paper's light, its ink taken away (dark ink reads as paper only where light and shade meet).
    window = max(3, round(max(small.shape) / 16))
    paper = 255.0 - smooth_background(255.0 - small.astype(np.float32), window)
    inner = paper[window:-window, window:-window] if min(paper.shape) > 4 * window else paper
    low, high = np.percentile(inner, [2, 98])
    if high - low <= UNEVEN_LIGHT:
        return page
    full = np.asarray(Image.fromarray(paper).resize((page.shape[1], page.shape[0]), Image.Resampling.BILINEAR))
    return np.clip(page.astype(np.float32) * (255.0 / np.maximum(full, 1.0)), 0, 255).astype(np.uint8)
