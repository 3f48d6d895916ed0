"""`Box`: a rectangle in image pixels, the one box type of the package.

A box is (top, left, bottom, right), bottom and right exclusive, like numpy slices:
`image[box.top:box.bottom, box.left:box.right]` is what it holds. This is the order the line
detector gives (`models/line_boxes.py` returns plain tuples in it, which compare equal to a
`Box`). The API shows a box as `{"x", "y", "width", "height"}` (`Box.as_json`).
"""

from __future__ import annotations

from typing import NamedTuple


class Box(NamedTuple):
    """A rectangle (top, left, bottom, right) in pixels; bottom and right exclusive."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def width(self) -> int:
        """Columns inside the box."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Rows inside the box."""
        return self.bottom - self.top

    def scaled(self, factor: float) -> Box:
        """The box in an image `factor` times the size (a detector's small page -> the full page)."""
        return Box(int(self.top * factor), int(self.left * factor), round(self.bottom * factor),
                   round(self.right * factor))

    def clipped(self, height: int, width: int) -> Box:
        """The part of the box inside an image of `height` x `width` pixels."""
        return Box(max(0, self.top), max(0, self.left), min(height, self.bottom), min(width, self.right))

    def as_json(self) -> dict[str, int]:
        """`{"x": left, "y": top, "width", "height"}`, as the API answers it."""
        return {"x": int(self.left), "y": int(self.top), "width": int(self.width), "height": int(self.height)}
