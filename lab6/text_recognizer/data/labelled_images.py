"""A folder of real line and page images with their transcriptions: `labels.tsv`, read and written.

    folder/labels.tsv        name<TAB>kind<TAB>writer<TAB>text, one row per image, a header row first
    folder/line_0001.jpg     the images the rows name (any format Pillow reads)

`kind` is `line` (one line of writing) or `page` (several lines; in its text the two characters
`\\n` separate the lines, so that a row stays one row). `writer` groups the images for per-writer
figures. The Stanford 1905 downloader writes this format; `make evaluate-real DATA=FOLDER` reads
it, so any scans of your own (or IAM lines) can be measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError

LABELS_FILE = "labels.tsv"
HEADER = ("name", "kind", "writer", "text")
KINDS = ("line", "page")
LINE_SEPARATOR = "\\n"  # the two characters that separate a page's lines in its text field


@dataclass(frozen=True)
class LabelledImage:
    """One row of labels.tsv: an image file of the folder, its kind, writer and true text."""

    name: str
    kind: str
    writer: str
    text: str  # a page's lines are joined by real newlines here

    def path(self, folder: Path) -> Path:
        """Where the image is, in `folder`."""
        return folder / self.name


def read_labels(folder: str | Path) -> list[LabelledImage]:
    """The rows of `folder/labels.tsv`, checked: header, four fields, known kind, image file present.

    Raises `DataError` saying which row is wrong and how to fix it.
    """
    folder = Path(folder)
    path = folder / LABELS_FILE
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder: pass a folder of line/page images with a {LABELS_FILE}.")
    if not path.is_file():
        raise DataError(
            f"{folder} has no {LABELS_FILE}. Write one: a header row `name<TAB>kind<TAB>writer<TAB>text`, "
            "then one row per image (kind `line` or `page`; a page's lines separated by \\n)."
        )
    rows = path.read_text(encoding="utf-8").splitlines()
    if not rows or tuple(rows[0].split("\t")) != HEADER:
        raise DataError(f"{path}: the first row must be the header {'<TAB>'.join(HEADER)!r}, got {rows[:1]}.")
    images = []
    for number, row in enumerate(rows[1:], start=2):
        if not row.strip():
            continue
        fields = row.split("\t", 3)
        if len(fields) != 4:
            raise DataError(f"{path} row {number}: expected 4 tab-separated fields (name, kind, writer, "
                            f"text), got {len(fields)}: {row!r}.")
        name, kind, writer, text = fields
        if kind not in KINDS:
            raise DataError(f"{path} row {number}: unknown kind {kind!r} for {name}; use `line` or `page`.")
        if not (folder / name).is_file():
            raise DataError(f"{path} row {number} names {name}, which is not in {folder}: add the image "
                            "or remove its row.")
        images.append(LabelledImage(name, kind, writer, text.replace(LINE_SEPARATOR, "\n")))
    if not images:
        raise DataError(f"{path} lists no images: add one row per line or page image.")
    return images


def write_labels(folder: str | Path, images: Iterable[LabelledImage]) -> Path:
    """Write `folder/labels.tsv` for `images` (their files are written by the caller)."""
    path = Path(folder) / LABELS_FILE
    rows = ["\t".join(HEADER)]
    for image in images:
        if image.kind not in KINDS or "\t" in image.text or LINE_SEPARATOR in image.text:
            raise ValueError(f"{image.name}: kind must be one of {KINDS} and the text free of tabs and "
                             f"{LINE_SEPARATOR!r}, got {image.kind!r}, {image.text!r}")
        rows.append("\t".join((image.name, image.kind, image.writer, image.text.replace("\n", LINE_SEPARATOR))))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
