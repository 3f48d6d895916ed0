"""`make evaluate-real`: a folder of labelled line and page images in, CER beside Tesseract out.

The folders are made by the tests: printed lines (Pillow's own font) written as JPEG files, and a
page stacked from them. The deployed readers really read them; only their figures' shape and
consistency are asserted (the figures themselves belong to the report, not to a test).
"""

import json
import re
import shutil

import numpy as np
import pytest
from commands import run_command
from PIL import Image, ImageDraw, ImageFont

from text_recognizer.data.errors import DataError
from text_recognizer.data.labelled_images import LabelledImage, read_labels, write_labels
from text_recognizer.models.metrics import character_error_rate
from text_recognizer.reports import real_handwriting

LINES = [("line_1.jpg", "alice", "the quick brown fox"), ("line_2.jpg", "alice", "jumps over the dog"),
         ("line_3.jpg", "bob", "Read me 1905")]


def printed_line(text: str) -> Image.Image:
    font = ImageFont.load_default(size=30)
    image = Image.new("L", (int(font.getlength(text)) + 30, 50), 250)
    ImageDraw.Draw(image).text((15, 8), text, fill=20, font=font)
    return image


def write_folder(folder):
    """Three lines of two writers and a page holding the first two."""
    folder.mkdir()
    images = []
    for name, writer, text in LINES:
        printed_line(text).save(folder / name, quality=90)
        images.append(LabelledImage(name, "line", writer, text))
    page = Image.new("L", (700, 400), 250)
    for i, (_, _, text) in enumerate(LINES[:2]):
        page.paste(printed_line(text), (40, 60 + 90 * i))
    page.save(folder / "page_1.png")
    images.append(LabelledImage("page_1.png", "page", "alice", "\n".join(text for _, _, text in LINES[:2])))
    write_labels(folder, images)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("real") / "mine")


@pytest.fixture(scope="module")
def page_predictor():
    from text_recognizer.predictors.page_predictor import PagePredictor

    return PagePredictor()  # the deployed readers, loaded once for this file


@pytest.fixture(scope="module")
def evaluated(folder, tmp_path_factory, page_predictor):
    reports = tmp_path_factory.mktemp("reports")
    return real_handwriting.evaluate(folder, reports, use_tesseract=False, pages=page_predictor), reports


def test_the_report_has_cer_per_kind_and_writer(evaluated):
    report, reports = evaluated
    assert json.loads((reports / "real_handwriting_mine.json").read_text()) == report
    assert report["data"] == {**report["data"], "folder": "mine", "lines": 3, "pages": 1, "writers": 2}
    lines = report["line"]
    assert lines["count"] == 3 and {w: f["count"] for w, f in lines["per_writer"].items()} == {"alice": 2, "bob": 1}
    assert lines["tesseract_cer"] is None and lines["tesseract_read_seconds"] is None
    read = {r["name"]: r["course"] for r in report["worst_lines"]["lines"]}
    assert set(read) == {name for name, _, _ in LINES}  # fewer lines than the picture holds: all shown
    assert lines["course_cer"] == pytest.approx(character_error_rate([read[n] for n, _, _ in LINES],
                                                                     [t for _, _, t in LINES]))
    assert lines["per_writer"]["bob"]["course_cer"] == pytest.approx(character_error_rate([read["line_3.jpg"]],
                                                                                          ["Read me 1905"]))
    cers = [r["course_cer"] for r in report["worst_lines"]["lines"]]
    assert cers == sorted(cers, reverse=True)
    assert report["page"]["count"] == 1 and report["page"]["course_read_seconds"]["p50_seconds"] > 0
    assert all(len(m["weights_sha256"]) == 64 for m in report["models"].values())


def test_the_picture_shows_every_worst_line(evaluated):
    report, reports = evaluated
    with Image.open(reports / report["worst_lines"]["picture"]) as picture:
        assert picture.format == "PNG" and picture.width == real_handwriting.PICTURE_WIDTH
        rows = np.asarray(picture.convert("L"))
    assert (rows < 128).any(axis=1).sum() > 3 * 20  # ink and text in every row, not a blank image


def test_the_table_prints_course_beside_tesseract(evaluated):
    table = real_handwriting.format_table(evaluated[0])
    assert "course CER" in table and "Tesseract CER" in table
    assert "bob" in table and "line read time p50/p95" in table and "page" in table


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (make setup)")
def test_tesseract_reads_in_the_same_run(folder, tmp_path, page_predictor):
    report = real_handwriting.evaluate(folder, tmp_path, use_tesseract=True, pages=page_predictor)
    assert report["tesseract"].startswith("tesseract 5")
    assert report["line"]["tesseract_cer"] < 0.3  # printed lines: Tesseract's home ground
    assert report["page"]["tesseract_read_seconds"]["p95_seconds"] > 0
    assert all(r["tesseract"] for r in report["worst_lines"]["lines"])


def test_an_image_the_course_refuses_counts_as_read_empty(tmp_path, page_predictor):
    folder = tmp_path / "tiny"
    folder.mkdir()
    Image.new("L", (6, 6), 255).save(folder / "page.png")  # too small for the page reader
    printed_line("a line").save(folder / "line.png")
    write_labels(folder, [LabelledImage("page.png", "page", "w", "a page"),
                          LabelledImage("line.png", "line", "w", "a line")])
    report = real_handwriting.evaluate(folder, tmp_path, use_tesseract=False, pages=page_predictor)
    assert "too small" in report["refused_by_the_course"]["page.png"]
    assert report["page"]["course_cer"] == 1.0 and report["line"]["count"] == 1


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "labels.tsv").unlink(), "has no labels.tsv. Write one"),
    (lambda f: (f / "line_2.jpg").unlink(), "row 3 names line_2.jpg, which is not in .* remove its row"),
    (lambda f: _edit_labels(f, "\tline\t", "\tparagraph\t", 1), "row 2: unknown kind 'paragraph'.*`line` or `page`"),
    (lambda f: _edit_labels(f, "\talice\t", "", 1), "expected 4 tab-separated fields"),
    (lambda f: (f / "labels.tsv").write_text("name\tkind\twriter\ttext\n"), "lists no images"),
    (lambda f: (f / "labels.tsv").write_text("file,text\n"), "first row must be the header"),
])
def test_bad_folders_say_what_to_do(tmp_path, damage, message):
    folder = write_folder(tmp_path / "bad")
    damage(folder)
    with pytest.raises(DataError, match=message):
        read_labels(folder)


def _edit_labels(folder, old, new, count):
    path = folder / "labels.tsv"
    path.write_text(path.read_text().replace(old, new, count))


def test_a_corrupt_image_is_named_before_any_reading(tmp_path):
    folder = write_folder(tmp_path / "corrupt")
    (folder / "line_3.jpg").write_bytes((folder / "line_3.jpg").read_bytes()[:200])
    with pytest.raises(DataError, match="line_3.jpg .*Replace the file .* or remove its row"):
        real_handwriting.check_images(folder, read_labels(folder))


def test_a_missing_folder_exits_with_a_hint(tmp_path, capsys):
    result = run_command(real_handwriting.main, tmp_path / "nowhere", "--reports-dir", tmp_path)
    assert result.exit_code == 1 and re.search("No folder .*text_recognizer.data.stanford1905", result.output)


def test_page_texts_keep_their_lines(tmp_path):
    folder = write_folder(tmp_path / "pages")
    assert "the quick brown fox\\njumps" in (folder / "labels.tsv").read_text()
    page = [row for row in read_labels(folder) if row.kind == "page"][0]
    assert page.text == "the quick brown fox\njumps over the dog"
