"""Measure the deployed Lab 5 readers on real handwriting, beside Tesseract 5, in one run.

    make evaluate-real DATA=FOLDER
    python -m text_recognizer.reports.real_handwriting FOLDER [--reports-dir ../reports]

FOLDER holds line and page images with a `labels.tsv` (`name  kind  writer  text`; see
`data/labelled_images.py`): your own scans, IAM lines, or the Stanford 1905 letters
(`python -m text_recognizer.data.stanford1905`). Lines are read by the deployed line reader
(`HandwritingLinePredictor`), pages by the page reader (`PagePredictor`: detector, then the same
line reader), and every image by Tesseract (`--psm 7` for a line, `--psm 6` for a page) where it
is installed. It prints and writes to `reports/real_handwriting_<folder name>.json`:

- CER per kind and per writer, the course's beside Tesseract's;
- read times, p50 / p95 seconds per image on this machine (the image already decoded);
- which deployed weights were measured (their SHA-256), so that a rerun after retraining compares;

and beside it `real_handwriting_<folder name>.png`: the worst-read lines, each with its label,
the course's reading and Tesseract's. Every image is decoded once before any model runs, so a
missing or corrupt file is reported at once, not after minutes of reading.

Real handwriting is an evaluation set: no model, decoder weight or threshold is chosen on it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from PIL import Image, ImageDraw, ImageFont
from tqdm.auto import tqdm

from text_recognizer.data.errors import DataError
from text_recognizer.data.labelled_images import LabelledImage, read_labels
from text_recognizer.images.checks import ImageError
from text_recognizer.images.reading import read_grayscale_image
from text_recognizer.models.metrics import character_error_rate, edit_distance
from text_recognizer.reports import write_report
from text_recognizer.reports.handwriting_evaluation import percentiles, training_times
from text_recognizer.reports.tesseract import tesseract_available, tesseract_read, tesseract_version

if TYPE_CHECKING:  # the predictors load TensorFlow: imported when reading starts, not at import
    from text_recognizer.predictors.page_predictor import PagePredictor

TESSERACT_PSM = {"line": 7, "page": 6}  # one text line; one uniform block of text
WORST_LINES = 8
PICTURE_WIDTH = 900
PICTURE_LINE_HEIGHT = 44  # pixels of each line image in the picture
DEFAULT_DATA_HINT = ("get the Stanford 1905 letters with `python -m text_recognizer.data.stanford1905` "
                     "and pass DATA=data/processed/stanford1905, or pass a folder of your own")


@dataclass(frozen=True)
class Reading:
    """What each reader made of one image, and how long it took."""

    image: LabelledImage
    course: str
    course_seconds: float
    tesseract: str | None
    tesseract_seconds: float | None
    course_error: str | None = None  # why the course's reader refused the image (read as "")

    @property
    def course_line_cer(self) -> float:
        """The course's CER on this image alone (for ranking the worst lines)."""
        return edit_distance(self.course, self.image.text) / max(1, len(self.image.text))


def check_images(folder: Path, images: list[LabelledImage]) -> None:
    """Decode every image once; a missing, empty or corrupt one raises `DataError` naming its row."""
    for image in tqdm(images, desc="checking images", leave=False):
        try:
            read_grayscale_image(image.path(folder))
        except ImageError as error:
            raise DataError(f"{image.name} (a `{image.kind}` row of {folder / 'labels.tsv'}): {error} "
                            "Replace the file with a readable PNG or JPEG, or remove its row.") from None


def read_images(folder: Path, images: list[LabelledImage], use_tesseract: bool,
                pages: PagePredictor | None = None) -> list[Reading]:
    """Read every image with the course's readers (and Tesseract), timing each read.

    `pages` is the page reader to use (default: the deployed one); its line reader reads the lines.
    """
    from text_recognizer.predictors.page_predictor import PagePredictor

    pages = pages or PagePredictor()  # its line reader is the deployed `HandwritingLinePredictor`
    readers = {"line": lambda image: pages.line_predictor.predict(image)[0],
               "page": lambda image: pages.predict(image).text}
    warmed = set()
    readings = []
    for labelled in tqdm(images, desc="reading"):
        image = read_grayscale_image(labelled.path(folder))
        read = readers[labelled.kind]
        if labelled.kind not in warmed:  # the first call builds the model's graph: not a read time
            with contextlib.suppress(ImageError):
                read(image)
            warmed.add(labelled.kind)
        start, refused = time.perf_counter(), None
        try:
            course = read(image)
        except ImageError as error:  # e.g. a page too small to hold lines: counted as read "", not fatal
            course, refused = "", str(error)
        course_seconds = time.perf_counter() - start
        tesseract, tesseract_seconds = None, None
        if use_tesseract:
            start = time.perf_counter()
            tesseract = tesseract_read(image, TESSERACT_PSM[labelled.kind])
            tesseract_seconds = time.perf_counter() - start
        readings.append(Reading(labelled, course, course_seconds, tesseract, tesseract_seconds, refused))
    return readings


def error_rates(readings: list[Reading]) -> dict[str, Any]:
    """How many images, and the course's and Tesseract's CER on them (None without Tesseract)."""
    targets = [r.image.text for r in readings]
    tesseract = [r.tesseract for r in readings]
    return {"count": len(readings),
            "course_cer": character_error_rate([r.course for r in readings], targets),
            "tesseract_cer": None if None in tesseract else character_error_rate(tesseract, targets)}


def summarize(readings: list[Reading]) -> dict[str, Any]:
    """CER overall and per writer (course beside Tesseract) and read times, for readings of one kind."""
    summary = error_rates(readings)
    summary["per_writer"] = {writer: error_rates([r for r in readings if r.image.writer == writer])
                             for writer in sorted({r.image.writer for r in readings})}
    summary["course_read_seconds"] = percentiles([r.course_seconds for r in readings])
    summary["tesseract_read_seconds"] = (None if summary["tesseract_cer"] is None
                                         else percentiles([r.tesseract_seconds for r in readings]))
    return summary


def worst_lines(readings: list[Reading], count: int = WORST_LINES) -> list[Reading]:
    """The `count` lines the course read worst (highest CER; the longer line first on ties)."""
    lines = [r for r in readings if r.image.kind == "line"]
    return sorted(lines, key=lambda r: (-r.course_line_cer, -len(r.image.text), r.image.name))[:count]


def draw_worst_lines(folder: Path, readings: list[Reading], path: Path) -> Path:
    """A PNG of the given lines: each image, then its label, the course's and Tesseract's reading."""
    font = ImageFont.load_default(size=15)
    row_height = PICTURE_LINE_HEIGHT + 3 * 19 + 12
    picture = Image.new("L", (PICTURE_WIDTH, max(1, len(readings)) * row_height), 255)
    draw = ImageDraw.Draw(picture)
    for i, reading in enumerate(readings):
        top = i * row_height
        with Image.open(reading.image.path(folder)) as opened:
            line = opened.convert("L")
        scale = min(PICTURE_LINE_HEIGHT / line.height, (PICTURE_WIDTH - 10) / line.width)
        line = line.resize((max(1, round(line.width * scale)), max(1, round(line.height * scale))))
        picture.paste(line, (5, top + 4))
        tesseract = "(not installed)" if reading.tesseract is None else reading.tesseract or "(nothing)"
        texts = [("label", reading.image.text),
                 ("course", f"{reading.course or '(nothing)'}      CER {reading.course_line_cer:.2f}"),
                 ("Tesseract", tesseract)]
        for j, (who, text) in enumerate(texts):
            y = top + PICTURE_LINE_HEIGHT + 6 + 19 * j
            draw.text((5, y), who, fill=110, font=font)
            draw.text((90, y), text, fill=0, font=font)
        draw.line((0, top + row_height - 2, PICTURE_WIDTH, top + row_height - 2), fill=190)
    path.parent.mkdir(parents=True, exist_ok=True)
    # 16 grey levels keep the picture small enough to commit; text and ink stay legible.
    picture.quantize(16, dither=Image.Dither.NONE).save(path, optimize=True)
    return path


def deployed_models() -> dict[str, Any]:
    """Which weights were measured: each deployed Lab 5 model's weights SHA-256 and training record."""
    from text_recognizer.data.download import file_sha256
    from text_recognizer.paths import WEIGHTS_DIR

    models = training_times()
    for name, record in models.items():
        weights = WEIGHTS_DIR / f"{name}.weights.h5"
        record["weights_sha256"] = file_sha256(weights) if weights.is_file() else None
        record["test"] = {key: value for key, value in (record.get("test") or {}).items()
                          if isinstance(value, int | float)}  # its figures, not its examples
    return models


def evaluate(folder: Path, reports_dir: Path, use_tesseract: bool,
             pages: PagePredictor | None = None) -> dict[str, Any]:
    """Check, read and summarise `folder`; write the report JSON and picture; return the report.

    `pages`: the page reader to measure (default: the deployed `PagePredictor`, loaded here).
    """
    if not folder.is_dir():
        raise DataError(f"No folder {folder}: {DEFAULT_DATA_HINT}.")
    images = read_labels(folder)
    check_images(folder, images)
    load_before = os.getloadavg()[0]
    readings = read_images(folder, images, use_tesseract, pages)
    name = folder.resolve().name
    picture = draw_worst_lines(folder, worst_lines(readings), reports_dir / f"real_handwriting_{name}.png")
    report: dict[str, Any] = {
        "data": {"folder": name, "lines": sum(i.kind == "line" for i in images),
                 "pages": sum(i.kind == "page" for i in images), "writers": len({i.writer for i in images}),
                 "use": "real handwriting: an evaluation set, never used to train or tune"},
        "tesseract": tesseract_version() + " (Debian tesseract-ocr)" if use_tesseract
        else "skipped: `tesseract` is not installed (make setup, or apt-get install tesseract-ocr)",
        "cpu_cores": os.cpu_count(),
        # read times depend on what else the machine runs: its 1-minute load before and after
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "models": deployed_models(),
    }
    for kind in ("line", "page"):
        of_kind = [r for r in readings if r.image.kind == kind]
        if of_kind:
            report[kind] = summarize(of_kind)
    report["refused_by_the_course"] = {r.image.name: r.course_error for r in readings if r.course_error}
    report["worst_lines"] = {
        "picture": picture.name,
        "lines": [{"name": r.image.name, "writer": r.image.writer, "label": r.image.text, "course": r.course,
                   "course_cer": round(r.course_line_cer, 3), "tesseract": r.tesseract}
                  for r in worst_lines(readings)],
    }
    write_report(report, reports_dir / f"real_handwriting_{name}.json")
    return report


def format_table(report: dict[str, Any]) -> str:
    """The report's figures as a table: CER per kind and writer, course beside Tesseract, read times."""
    rows = [f"{'kind':<5} {'writer':<24} {'n':>4} {'course CER':>10} {'Tesseract CER':>13}"]

    def cer(value: float | None) -> str:
        return f"{value:.3f}" if value is not None else "-"

    for kind in ("line", "page"):
        if kind not in report:
            continue
        summary = report[kind]
        for writer, figures in summary.get("per_writer", {}).items():
            rows.append(f"{kind:<5} {writer:<24} {figures['count']:>4} {cer(figures['course_cer']):>10} "
                        f"{cer(figures['tesseract_cer']):>13}")
        rows.append(f"{kind:<5} {'all':<24} {summary['count']:>4} {cer(summary['course_cer']):>10} "
                    f"{cer(summary['tesseract_cer']):>13}")
        times = f"{kind} read time p50/p95: course {_seconds(summary['course_read_seconds'])}"
        if summary["tesseract_read_seconds"]:
            times += f", Tesseract {_seconds(summary['tesseract_read_seconds'])}"
        rows.append(times)
    return "\n".join(rows)


def _seconds(figures: dict[str, float]) -> str:
    return f"{figures['p50_seconds'] * 1000:.0f}/{figures['p95_seconds'] * 1000:.0f} ms"


def main(
    folder: Annotated[Path, typer.Argument(help="A folder of line/page images with a labels.tsv.")],
    reports_dir: Annotated[Path | None, typer.Option(
        help="Where to write real_handwriting_<folder name>.json and .png (default <course>/reports).")] = None,
) -> None:
    """How well do Lab 5's readers read real handwriting? Any folder with a labels.tsv, beside Tesseract."""
    from text_recognizer.environment import configure_environment
    from text_recognizer.paths import course_root

    reports_dir = reports_dir or course_root() / "reports"
    configure_environment()
    use_tesseract = tesseract_available()
    if not use_tesseract:
        print("Tesseract is not installed: its figures are skipped (make setup, or apt-get install tesseract-ocr).")
    try:
        report = evaluate(folder, reports_dir, use_tesseract)
    except DataError as error:
        raise SystemExit(f"error: {error}") from None
    name = report["data"]["folder"]
    print(f"Real handwriting: {name} ({report['data']['lines']} lines, {report['data']['pages']} pages, "
          f"{report['data']['writers']} writers); {report['tesseract']}")
    print(format_table(report))
    print(f"Wrote {reports_dir / f'real_handwriting_{name}.json'} and the worst lines in "
          f"{reports_dir / report['worst_lines']['picture']}")


if __name__ == "__main__":
    typer.run(main)
