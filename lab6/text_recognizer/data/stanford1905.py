"""The Stanford 1905 letters: real handwriting from GitHub, cut into lines to evaluate on.

    python -m text_recognizer.data.stanford1905                  # -> data/processed/stanford1905/
    python -m text_recognizer.data.stanford1905 --output FOLDER
    make evaluate-real DATA=data/processed/stanford1905

Letters of condolence written in 1905 (16 writers, ink on paper, photographed), transcribed line
by line in eScriptorium and exported as ALTO XML (CC-BY 4.0, GitHub repository
PSL-Chartes-HTR-Students/HN2021-Memorials_Jane_Lathrop_Stanford). No registration is needed.

`data/metadata/stanford1905.toml` pins the commit and lists every page (image, ALTO file,
writer, SHA-256 where known). Each file is downloaded with `download.download` (resume, retry)
into `data/raw/stanford1905/<commit>/` and its checksum checked (or recorded on first use where
none is pinned, as for IAM). Every handwritten line of an ALTO file is cut out of its page along
the line's polygon (pixels outside it painted white, as the transcribers drew it) and written,
with the whole pages whose every line is kept, as a folder with a `labels.tsv`
(`data/labelled_images.py`). Lines are left out when they are not plain handwriting (print,
typewriting, signatures, interlinear insertions), hold characters outside printable ASCII, or
have no usable polygon.

It is an evaluation set: never train or tune on it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from xml.etree import ElementTree

import typer
from PIL import Image, ImageDraw

from .. import paths
from .download import METADATA_DIR, DownloadSpec, download
from .errors import DataError
from .iam import verify_checksum
from .labelled_images import LINE_SEPARATOR, LabelledImage, write_labels

logger = logging.getLogger(__name__)

SPEC_PATH = METADATA_DIR / "stanford1905.toml"
KEPT_LINE_TYPE = "DefaultLine:Handwritten"  # eScriptorium's label for an ordinary handwritten line
MIN_LINE_HEIGHT = 8  # pixels: a polygon flatter than this is not a line of writing


@dataclass(frozen=True)
class SourcePage:
    """One page of the repository: its image, its ALTO transcription and who wrote it."""

    image: str  # path inside the repository
    alto: str
    writer: str
    image_sha256: str = ""  # "" = not known when the spec was written: recorded on first download
    alto_sha256: str = ""


@dataclass(frozen=True)
class Stanford1905Spec:
    """The pinned source: repository, commit, URL pattern and pages."""

    repository: str
    commit: str
    url: str  # a pattern with {repository}, {commit} and {path}
    pages: tuple[SourcePage, ...]

    def file_url(self, path: str) -> str:
        """The download URL of a file of the repository at the pinned commit."""
        return self.url.format(repository=self.repository, commit=self.commit, path=urllib.parse.quote(path))


def load_spec(path: str | Path = SPEC_PATH) -> Stanford1905Spec:
    """Read and check the spec (a 40-digit commit; each SHA-256 64 hex digits or "")."""
    path = Path(path)
    try:
        fields = tomllib.loads(path.read_text(encoding="utf-8"))
        pages = tuple(SourcePage(**page) for page in fields["pages"])
        spec = Stanford1905Spec(fields["repository"], fields["commit"], fields["url"], pages)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise DataError(f"Cannot read the Stanford 1905 spec {path}: {error!r}. It needs repository, "
                        "commit, url and [[pages]] (image, alto, writer); restore it from git.") from None
    if len(spec.commit) != 40 or not _is_hex(spec.commit):
        raise DataError(f"{path}: commit must be a full 40-digit hash, got {spec.commit!r}.")
    names = [Path(f).name for page in pages for f in (page.image, page.alto)]
    if len(set(names)) != len(names):
        raise DataError(f"{path}: two files share a name; every image and ALTO file name must be unique.")
    for page in pages:
        for checksum in (page.image_sha256, page.alto_sha256):
            if checksum and (len(checksum) != 64 or not _is_hex(checksum)):
                raise DataError(f"{path}: {page.image}: a sha256 must be 64 hex digits or \"\", got {checksum!r}.")
    return spec


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text.lower())


# --- ALTO ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AltoLine:
    """One TextLine of an ALTO file: its text, line type, polygon and baseline (page pixels)."""

    id: str
    text: str
    line_type: str  # the label of its TAGREFS ("DefaultLine:Handwritten"), "" when untagged
    polygon: tuple[tuple[int, int], ...]
    baseline: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class AltoPage:
    """What an ALTO file says about a page: its image file name, size and lines in reading order."""

    image_name: str
    width: int
    height: int
    lines: tuple[AltoLine, ...]


def parse_alto(path: str | Path) -> AltoPage:
    """Parse an ALTO XML file (any ALTO version: the namespace is ignored)."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as error:
        raise DataError(f"{path} is not a readable ALTO XML file ({error}): delete it and download again.") from None
    labels = {tag.get("ID"): tag.get("LABEL", "") for tag in root.iterfind(".//{*}OtherTag")}
    page = root.find(".//{*}Page")
    if page is None:
        raise DataError(f"{path} has no ALTO <Page>: it is not an ALTO transcription.")
    lines = []
    for line in root.iterfind(".//{*}TextLine"):
        polygon_element = line.find("{*}Shape/{*}Polygon")
        polygon = _points(polygon_element.get("POINTS", "") if polygon_element is not None else "")
        if not polygon:  # ALTO without shapes: the line's rectangle
            left, top = int(float(line.get("HPOS", 0))), int(float(line.get("VPOS", 0)))
            right, bottom = left + int(float(line.get("WIDTH", 0))), top + int(float(line.get("HEIGHT", 0)))
            polygon = ((left, top), (right, top), (right, bottom), (left, bottom))
        text = " ".join(s.get("CONTENT", "") for s in line.iterfind(".//{*}String")).strip()
        line_type = next((labels[tag] for tag in (line.get("TAGREFS") or "").split() if labels.get(tag)), "")
        lines.append(AltoLine(line.get("ID", ""), " ".join(text.split()), line_type, polygon,
                              _points(line.get("BASELINE", ""))))
    file_name = root.findtext(".//{*}sourceImageInformation/{*}fileName", default="").strip()
    return AltoPage(file_name, int(float(page.get("WIDTH", 0))), int(float(page.get("HEIGHT", 0))), tuple(lines))


def _points(text: str) -> tuple[tuple[int, int], ...]:
    """ALTO's "x1 y1 x2 y2 ..." (or "x1,y1 x2,y2 ...") as integer points."""
    numbers = [round(float(n)) for n in text.replace(",", " ").split()]
    return tuple(zip(numbers[::2], numbers[1::2], strict=False))


def is_kept(line: AltoLine) -> bool:
    """Whether a line is plain handwriting the course can be measured on."""
    left, top, right, bottom = polygon_box(line.polygon)
    return (line.line_type in (KEPT_LINE_TYPE, "") and bool(line.text) and line.text.isascii()
            and line.text.isprintable() and "\t" not in line.text and LINE_SEPARATOR not in line.text
            and len(line.polygon) >= 3 and bottom - top >= MIN_LINE_HEIGHT and right - left > bottom - top)


def polygon_box(polygon: tuple[tuple[int, int], ...]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around a polygon; (0, 0, 0, 0) for none."""
    if not polygon:
        return 0, 0, 0, 0
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def page_scale(alto: AltoPage, image_size: tuple[int, int], where: Path | str = "the ALTO file") -> float:
    """Image pixels per ALTO pixel (1.0 when the ALTO file gives no page size).

    A transcription made on a rescaled copy of the image still fits it; a page of another shape
    does not belong to the image, and raises `DataError`.
    """
    if not alto.width or not alto.height:
        return 1.0
    scale_x, scale_y = image_size[0] / alto.width, image_size[1] / alto.height
    if abs(scale_x - scale_y) > 0.01 * max(scale_x, scale_y):
        raise DataError(f"{where} describes a {alto.width}x{alto.height} page but its image is "
                        f"{image_size[0]}x{image_size[1]}: the two files do not belong together; check the spec.")
    return scale_x


def cut_line(page: Image.Image, polygon: tuple[tuple[int, int], ...]) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """The line inside `polygon`, cropped to its box, with the page outside it painted white."""
    left, top, right, bottom = polygon_box(polygon)
    left, top = max(0, left), max(0, top)
    right, bottom = min(page.width, right), min(page.height, bottom)
    crop = page.crop((left, top, right, bottom))
    mask = Image.new("L", crop.size, 0)
    ImageDraw.Draw(mask).polygon([(x - left, y - top) for x, y in polygon], fill=255)
    white = Image.new(crop.mode, crop.size, "white")
    return Image.composite(crop, white, mask), (left, top, right, bottom)


# --- download and build -------------------------------------------------------------------------
FetchedPage = tuple[SourcePage, Path, Path]  # the page, its local image file, its local ALTO file


def fetch_pages(spec: Stanford1905Spec, raw: Path, *, retries: int = 4, backoff: float = 1.0) -> list[FetchedPage]:
    """Download (or find) every page's image and ALTO file in `raw`, checksums checked or recorded."""
    fetched = []
    for page in spec.pages:
        local = []
        for path, pinned in ((page.image, page.image_sha256), (page.alto, page.alto_sha256)):
            file = download(DownloadSpec(spec.file_url(path), Path(path).name, pinned), raw,
                            retries=retries, backoff=backoff)
            verify_checksum(file, pinned, raw / "checksums.json")
            local.append(file)
        fetched.append((page, local[0], local[1]))
    return fetched


def build_folder(spec: Stanford1905Spec, fetched: list[FetchedPage], output: Path) -> list[LabelledImage]:
    """Cut the kept lines of every page into `output`, with the complete pages; write labels.tsv."""
    output.mkdir(parents=True, exist_ok=True)
    images, provenance = [], ["name\trepository\timage_path\tcrop_left_top_right_bottom"]
    for page, image_path, alto_path in fetched:
        alto = parse_alto(alto_path)
        try:
            with Image.open(image_path) as opened:
                picture = opened.convert("RGB")
        except OSError as error:
            raise DataError(f"{image_path} is not a readable image ({error}): delete it and download again.") from None
        scale = page_scale(alto, picture.size, alto_path)
        kept = [line for line in alto.lines if is_kept(line)]
        for line in kept:
            name = f"line_{len(images) + 1:04d}.jpg"
            crop, box = cut_line(picture, tuple((round(x * scale), round(y * scale)) for x, y in line.polygon))
            crop.save(output / name, quality=92)
            images.append(LabelledImage(name, "line", page.writer, line.text))
            provenance.append(f"{name}\t{spec.repository}\t{page.image}\t{','.join(map(str, box))}")
        if kept and len(kept) == len(alto.lines):  # a page whose every line is plain handwriting
            name = f"page_{len(images) + 1:04d}{image_path.suffix.lower()}"
            shutil.copyfile(image_path, output / name)
            images.append(LabelledImage(name, "page", page.writer, "\n".join(line.text for line in kept)))
            provenance.append(f"{name}\t{spec.repository}\t{page.image}\t")
    if not images:
        raise DataError(f"No handwritten line was found in the {len(fetched)} ALTO files: check the spec's pages.")
    write_labels(output, images)
    (output / "provenance.tsv").write_text("\n".join(provenance) + "\n", encoding="utf-8")
    return images


def default_raw_dir(spec: Stanford1905Spec) -> Path:
    """Where the downloaded files of `spec` are kept: data/raw/stanford1905/<commit>/."""
    return paths.raw_dir("stanford1905") / spec.commit


def prepare(output: Path | None = None, spec: Stanford1905Spec | None = None, raw: Path | None = None,
            *, retries: int = 4, backoff: float = 1.0) -> list[LabelledImage]:
    """Download, verify and cut the Stanford 1905 letters into `output` (default data/processed/stanford1905)."""
    spec = spec or load_spec()
    raw = raw or default_raw_dir(spec)
    output = output or paths.processed_dir("stanford1905")
    return build_folder(spec, fetch_pages(spec, raw, retries=retries, backoff=backoff), output)


def unpinned_checksums(spec: Stanford1905Spec, raw: Path) -> dict[str, str]:
    """Repository path -> the SHA-256 recorded on first download, for each file the spec does not pin."""
    record = raw / "checksums.json"
    recorded = json.loads(record.read_text()) if record.is_file() else {}
    unpinned = [(page.image, page.image_sha256) for page in spec.pages] + [(page.alto, page.alto_sha256)
                                                                           for page in spec.pages]
    return {path: recorded[Path(path).name] for path, pinned in unpinned if not pinned and Path(path).name in recorded}


def main(
    output: Annotated[Path | None, typer.Option(
        help="The folder to write (default data/processed/stanford1905).")] = None,
    spec: Annotated[Path, typer.Option(help="The download spec (default: the pinned one).")] = SPEC_PATH,
) -> None:
    """Build the Stanford 1905 letters folder; say what it holds and which checksums are still to pin."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    output = output or paths.processed_dir("stanford1905")
    try:
        download_spec = load_spec(spec)
        images = prepare(output, download_spec)
    except DataError as error:
        raise SystemExit(f"error: {error}") from None
    unpinned = unpinned_checksums(download_spec, default_raw_dir(download_spec))
    if unpinned:
        print(f"{len(unpinned)} files have no SHA-256 in {spec.name} yet; these were recorded on first "
              "download (check them against a second machine's download, then pin them in the spec):")
        for path, checksum in unpinned.items():
            print(f"  {path}  {checksum}")
    lines = sum(image.kind == "line" for image in images)
    print(f"{lines} lines and {len(images) - lines} pages of {len({i.writer for i in images})} writers in {output}.")
    print(f"Measure the course on them: make evaluate-real DATA={output}")


if __name__ == "__main__":
    typer.run(main)
