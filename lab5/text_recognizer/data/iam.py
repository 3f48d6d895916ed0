"""The IAM Handwriting Database: forms, their XML line boxes, lines.txt, the writer-independent split.

    python -m text_recognizer.data.iam                      # download (needs a registration)
    python -m text_recognizer.data.iam --archives ~/iam     # or use archives you already have

IAM (Marti & Bunke, 2002) holds 1,539 scanned forms of handwritten English by 657 writers. Its
download needs a free registration at https://fki.tic.heia-fr.ch/register: put your login in the
environment (`IAM_USERNAME`, `IAM_PASSWORD`) or download the archives yourself and pass their
folder. What the course reads, once extracted under `data/raw/iam/`:

    forms/a01-000u.png      the scanned form (greyscale PNG, about 2479 x 3542 pixels)
    xml/a01-000u.xml        the form's metadata: writer id, every line's text and word boxes
    ascii/lines.txt         one row per line: id, segmentation ok/err, grey threshold, box, text
    task/trainset.txt ...   the Large Writer Independent Text Line Recognition Task's split:
                            trainset, validationset1 + validationset2 ("val"), testset; every
                            writer is in one split only

IAM publishes no checksums, so the first verified download records each archive's SHA-256 in
`data/raw/iam/checksums.json` and every later use checks against it (a pinned `sha256` in
`ARCHIVES` wins). Downloads resume from `<name>.part`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated
from xml.etree import ElementTree

import numpy as np
import typer
from PIL import Image
from tqdm.auto import tqdm

from .. import paths
from .character_mapping import MAPPING
from .download import verify_checksum
from .errors import DataError, DownloadError

logger = logging.getLogger(__name__)

BASE_URL = "https://fki.tic.heia-fr.ch/DBs/iamDB"
ARCHIVES: dict[str, dict[str, str]] = {
    "formsA-D.tgz": {"path": "data/formsA-D.tgz", "sha256": ""},
    "formsE-H.tgz": {"path": "data/formsE-H.tgz", "sha256": ""},
    "formsI-Z.tgz": {"path": "data/formsI-Z.tgz", "sha256": ""},
    "xml.tgz": {"path": "data/xml.tgz", "sha256": ""},
    "ascii.tgz": {"path": "data/ascii.tgz", "sha256": ""},
    "largeWriterIndependentTextLineRecognitionTask.zip": {
        "path": "tasks/largeWriterIndependentTextLineRecognitionTask.zip", "sha256": "",
    },
}
"""Archive name -> its path under BASE_URL and its SHA-256 ("" = recorded on first download)."""

SPLIT_FILES = {"train": ("trainset.txt",), "val": ("validationset1.txt", "validationset2.txt"),
               "test": ("testset.txt",)}
KNOWN_CHARACTERS = set(MAPPING[1:])
CHUNK = 1 << 20


@dataclass(frozen=True)
class IamLine:
    """One handwritten line of a form."""

    id: str  # "a01-000u-00": form id + line number
    form_id: str
    writer_id: str
    text: str
    box: tuple[int, int, int, int]  # left, top, right, bottom in the form's pixels
    segmentation_ok: bool


class IamDatabase:
    """The extracted IAM files under `root` (default `data/raw/iam/`)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.raw_dir("iam")

    def is_prepared(self) -> bool:
        """Whether the forms, XML files, lines.txt and the split's task files are all there."""
        return ((self.root / "ascii" / "lines.txt").is_file() and (self.root / "xml").is_dir()
                and (self.root / "forms").is_dir() and (self.root / "task" / "testset.txt").is_file())

    def require_prepared(self) -> None:
        """Raise a `DataError` saying how to get IAM when it is not extracted under `root`."""
        if not self.is_prepared():
            raise DataError(
                f"The IAM Handwriting Database is not in {self.root}. It needs a registration: set "
                "IAM_USERNAME and IAM_PASSWORD and run `python -m text_recognizer.data.iam`, or "
                "download its archives yourself and run `python -m text_recognizer.data.iam "
                "--archives FOLDER`. Without it, use the offline IAM substitute (source='substitute')."
            )

    # --- metadata ------------------------------------------------------------------------------
    @cached_property
    def lines(self) -> dict[str, IamLine]:
        """Every line of every form: id -> `IamLine` (text and boxes from the XML, status from lines.txt)."""
        self.require_prepared()
        status = {row[0]: row[1] == "ok" for row in read_lines_txt(self.root / "ascii" / "lines.txt")}
        lines: dict[str, IamLine] = {}
        for xml_path in sorted((self.root / "xml").glob("*.xml")):
            for line in parse_form_xml(xml_path):
                lines[line.id] = replace(line, segmentation_ok=status.get(line.id, False))
        return lines

    def split_ids(self, split: str) -> list[str]:
        """Line ids of one split of the writer-independent task ("train", "val" or "test")."""
        if split not in SPLIT_FILES:
            raise ValueError(f"Unknown split {split!r}; use one of {tuple(SPLIT_FILES)}")
        self.require_prepared()
        ids: list[str] = []
        for name in SPLIT_FILES[split]:
            path = self.root / "task" / name
            if path.is_file():
                ids += [row.strip() for row in path.read_text().splitlines() if row.strip()]
        return ids

    def usable_lines(self, split: str, max_length: int) -> list[IamLine]:
        """The lines of a split that the course's models can learn: known characters, short enough."""
        lines = [self.lines[i] for i in self.split_ids(split) if i in self.lines]
        return [line for line in lines if len(line.text) <= max_length and set(line.text) <= KNOWN_CHARACTERS]

    def line_writers(self, split: str, max_length: int) -> list[str]:
        """The writer id of each usable line of a split (same order as `line_crops`)."""
        return [line.writer_id for line in self.usable_lines(split, max_length)]

    # --- images --------------------------------------------------------------------------------
    def form_image(self, form_id: str) -> np.ndarray:
        """The scanned form, uint8 greyscale (dark ink on light paper)."""
        path = self.root / "forms" / f"{form_id}.png"
        if not path.is_file():
            raise DataError(f"The IAM form image {path} is missing: extract the forms archives again.")
        with Image.open(path) as image:
            return np.asarray(image.convert("L"))

    def line_crops(self, split: str, max_length: int) -> tuple[list[np.ndarray], list[str]]:
        """Crops of every usable line of a split from its form (XML box), and their texts."""
        crops, texts, forms = [], [], {}
        for line in tqdm(self.usable_lines(split, max_length), desc=f"IAM {split} crops", leave=False):
            if line.form_id not in forms:
                forms = {line.form_id: self.form_image(line.form_id)}  # lines come form by form
            left, top, right, bottom = line.box
            crops.append(forms[line.form_id][top:bottom, left:right])
            texts.append(line.text)
        return crops, texts

    def paragraph(self, form_id: str) -> tuple[np.ndarray, list[IamLine]]:
        """The handwritten part of a form (the union of its line boxes) and its lines, boxes shifted."""
        lines = [line for line in self.lines.values() if line.form_id == form_id]
        if not lines:
            raise DataError(f"No lines of form {form_id!r} in the IAM metadata.")
        left = min(line.box[0] for line in lines)
        top = min(line.box[1] for line in lines)
        right = max(line.box[2] for line in lines)
        bottom = max(line.box[3] for line in lines)
        crop = self.form_image(form_id)[top:bottom, left:right]
        shifted = [replace(line, box=(line.box[0] - left, line.box[1] - top, line.box[2] - left,
                                      line.box[3] - top)) for line in lines]
        return crop, shifted


def read_lines_txt(path: Path) -> list[list[str]]:
    """Rows of IAM's lines.txt (comments skipped): id, ok/err, threshold, components, x, y, w, h, text."""
    rows = []
    for row in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if row and not row.startswith("#"):
            fields = row.split(" ", 8)
            if len(fields) == 9:
                fields[8] = fields[8].replace("|", " ")
                rows.append(fields)
    return rows


def parse_form_xml(path: Path) -> list[IamLine]:
    """The lines of one form's XML: text, writer and box (the union of its words' components)."""
    try:
        form = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise DataError(f"{path} is not valid IAM XML ({error}): extract xml.tgz again.") from None
    writer = form.get("writer-id", "")
    lines = []
    for line in form.iter("line"):
        boxes = [(int(c.get("x")), int(c.get("y")), int(c.get("x")) + int(c.get("width")),
                  int(c.get("y")) + int(c.get("height"))) for c in line.iter("cmp")]
        if not boxes:
            continue
        box = (min(b[0] for b in boxes), min(b[1] for b in boxes),
               max(b[2] for b in boxes), max(b[3] for b in boxes))
        lines.append(IamLine(id=line.get("id"), form_id=form.get("id"), writer_id=writer,
                             text=line.get("text", ""), box=box, segmentation_ok=True))
    return lines


# --- getting the archives ----------------------------------------------------------------------
def credentials_from_environment() -> tuple[str, str] | None:
    """(user, password) from IAM_USERNAME and IAM_PASSWORD, or None when either is unset."""
    user, password = os.environ.get("IAM_USERNAME"), os.environ.get("IAM_PASSWORD")
    return (user, password) if user and password else None


def fetch_archives(
    dest: Path, archives_dir: Path | None = None, credentials: tuple[str, str] | None = None,
    base_url: str = BASE_URL,
) -> list[Path]:
    """Each archive of `ARCHIVES` in `dest`: copied from `archives_dir` or downloaded, then verified."""
    dest.mkdir(parents=True, exist_ok=True)
    fetched = []
    for name, spec in ARCHIVES.items():
        path = dest / name
        local = archives_dir / name if archives_dir is not None else None
        if not path.is_file():
            if local is not None and local.is_file():
                shutil.copyfile(local, path)
            elif credentials is None:
                raise DataError(
                    f"{name} is neither in {archives_dir or dest} nor downloadable: IAM needs a "
                    "registration (https://fki.tic.heia-fr.ch/register). Set IAM_USERNAME and "
                    "IAM_PASSWORD, or download the archives by hand and pass --archives FOLDER."
                )
            else:
                download_with_login(f"{base_url}/{spec['path']}", path, credentials)
        verify_checksum(path, spec.get("sha256", ""), dest / "checksums.json")
        fetched.append(path)
    return fetched


def download_with_login(url: str, path: Path, credentials: tuple[str, str], timeout: float = 60) -> Path:
    """Download `url` to `path` with HTTP basic auth, resuming from `<path>.part`."""
    part = path.with_name(path.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    token = base64.b64encode(":".join(credentials).encode()).decode()
    headers = {"Authorization": f"Basic {token}", "User-Agent": "text-recognizer-course"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            if offset and response.status != 206:
                offset = 0  # the server sends the whole file again
            length = response.headers.get("Content-Length")
            total = offset + int(length) if length else None
            with open(part, "ab" if offset else "wb") as file, tqdm(
                total=total, initial=offset, unit="B", unit_scale=True, desc=path.name
            ) as bar:
                while chunk := response.read(CHUNK):
                    file.write(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as error:
        if error.code == 416 and part.exists():  # the .part file already holds everything
            os.replace(part, path)
            return path
        hint = " Check IAM_USERNAME and IAM_PASSWORD." if error.code in (401, 403) else ""
        raise DownloadError(f"{url} answered HTTP {error.code} ({error.reason}).{hint}") from None
    except OSError as error:
        raise DownloadError(
            f"Could not download {url} ({error}). What was received is kept in {part}: run the "
            "same command again to resume, or download the archive by hand (--archives FOLDER)."
        ) from None
    if total is not None and part.stat().st_size < total:
        raise DownloadError(f"The download of {url} stopped early: run the same command again to resume.")
    os.replace(part, path)
    return path


def extract_archives(archives: list[Path], root: Path) -> None:
    """Extract the archives into IAM's folder layout under `root` (forms/, xml/, ascii/, task/)."""
    for archive in tqdm(archives, desc="extracting IAM", leave=False):
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.namelist():
                    if member.endswith(".txt"):
                        (root / "task").mkdir(parents=True, exist_ok=True)
                        (root / "task" / Path(member).name).write_bytes(zipped.read(member))
            continue
        target = root / ("forms" if archive.name.startswith("forms") else archive.name.split(".")[0])
        target.mkdir(parents=True, exist_ok=True)
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(target, filter="data")  # refuses absolute paths and links outside
        except (tarfile.TarError, OSError) as error:
            raise DataError(f"{archive} cannot be extracted ({error}): delete it and fetch it again.") from None


def prepare(root: Path | None = None, archives_dir: Path | None = None) -> IamDatabase:
    """Fetch (download or copy), verify and extract IAM into `root`; return the database."""
    database = IamDatabase(root)
    if database.is_prepared():
        return database
    archives = fetch_archives(database.root / "archives", archives_dir, credentials_from_environment())
    extract_archives(archives, database.root)
    database.require_prepared()
    return database


def main(
    archives: Annotated[Path | None, typer.Option(help="A folder holding the IAM archives you downloaded.")] = None,
) -> None:
    """Get IAM into data/raw/iam and print its split sizes."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        database = prepare(archives_dir=archives)
        print(json.dumps({split: len(database.split_ids(split)) for split in SPLIT_FILES}, indent=2))
    except DataError as error:
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    typer.run(main)
