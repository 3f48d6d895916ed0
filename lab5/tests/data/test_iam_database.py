"""The real IAM loader, on a tiny fixture in IAM's own formats (forms PNG, XML, lines.txt, task files)."""

import io
import json
import tarfile
import zipfile

import numpy as np
import pytest
from PIL import Image

from text_recognizer.data import iam
from text_recognizer.data.errors import DataError, DownloadError
from text_recognizer.data.iam_lines import IamLines

# Two forms by two writers; the task puts writer 000 in train and writer 111 in test.
FORMS = {
    "a01-000u": ("000", ["A MOVE to stop Mr. Gaitskell", "from nominating any more"]),
    "b02-100": ("111", ["Labour life Peers is to", "be made at a meeting"]),
}
LINE_HEIGHT, TOP, LEFT = 60, 100, 50


def _xml(form_id: str, writer: str, texts: list[str]) -> str:
    lines = []
    for n, text in enumerate(texts):
        y = TOP + n * 2 * LINE_HEIGHT
        words, x = [], LEFT
        for w, word in enumerate(text.split()):
            width = 20 * len(word)
            words.append(f'<word id="{form_id}-{n:02d}-{w:02d}" text="{word}">'
                         f'<cmp x="{x}" y="{y}" width="{width}" height="{LINE_HEIGHT}"/></word>')
            x += width + 20
        text_attr = text.replace('"', "&quot;")
        lines.append(f'<line id="{form_id}-{n:02d}" text="{text_attr}">{"".join(words)}</line>')
    return (f'<?xml version="1.0" encoding="ISO-8859-1"?><form id="{form_id}" writer-id="{writer}">'
            f'<handwritten-part>{"".join(lines)}</handwritten-part></form>')


def write_fixture(root):
    """The extracted layout: forms/, xml/, ascii/lines.txt, task/*.txt."""
    for folder in ("forms", "xml", "ascii", "task"):
        (root / folder).mkdir(parents=True)
    rows = ["#--- lines.txt ---"]
    for form_id, (writer, texts) in FORMS.items():
        page = np.full((600, 800), 250, np.uint8)
        for n, text in enumerate(texts):
            y = TOP + n * 2 * LINE_HEIGHT
            ink = page[y + 20 : y + 40, LEFT : LEFT + 20 * len(text)]
            ink[:, np.arange(ink.shape[1]) % 8 < 3] = 20  # pen strokes of "ink" along each line
            rows.append(f"{form_id}-{n:02d} ok 154 5 {LEFT} {y} 400 {LINE_HEIGHT} {text.replace(' ', '|')}")
        Image.fromarray(page).save(root / "forms" / f"{form_id}.png")
        (root / "xml" / f"{form_id}.xml").write_text(_xml(form_id, writer, texts), encoding="latin-1")
    (root / "ascii" / "lines.txt").write_text("\n".join(rows) + "\n")
    (root / "task" / "trainset.txt").write_text("a01-000u-00\na01-000u-01\n")
    (root / "task" / "validationset1.txt").write_text("")
    (root / "task" / "validationset2.txt").write_text("")
    (root / "task" / "testset.txt").write_text("b02-100-00\nb02-100-01\n")
    return root


def write_archives(folder):
    """The same fixture packed like IAM's download: forms*.tgz, xml.tgz, ascii.tgz, the task zip."""
    extracted = write_fixture(folder / "extracted")
    folder.mkdir(exist_ok=True)

    def tgz(name, files):
        with tarfile.open(folder / name, "w:gz") as tar:
            for path in files:
                tar.add(path, arcname=path.name)

    tgz("formsA-D.tgz", sorted((extracted / "forms").glob("*.png")))
    tgz("formsE-H.tgz", [])
    tgz("formsI-Z.tgz", [])
    tgz("xml.tgz", sorted((extracted / "xml").glob("*.xml")))
    tgz("ascii.tgz", [extracted / "ascii" / "lines.txt"])
    with zipfile.ZipFile(folder / "largeWriterIndependentTextLineRecognitionTask.zip", "w") as zipped:
        for path in sorted((extracted / "task").glob("*.txt")):
            zipped.write(path, arcname=path.name)
    return folder


def test_lines_from_xml_and_lines_txt(tmp_path):
    database = iam.IamDatabase(write_fixture(tmp_path / "iam"))
    assert database.is_prepared()
    line = database.lines["a01-000u-00"]
    assert line.text == "A MOVE to stop Mr. Gaitskell" and line.writer_id == "000" and line.segmentation_ok
    assert line.box == (LEFT, TOP, LEFT + 20 * len(line.text), TOP + LINE_HEIGHT)  # union of the words
    assert iam.read_lines_txt(tmp_path / "iam" / "ascii" / "lines.txt")[0][8] == "A MOVE to stop Mr. Gaitskell"


def test_writer_independent_split_and_crops(tmp_path):
    database = iam.IamDatabase(write_fixture(tmp_path / "iam"))
    assert database.split_ids("train") == ["a01-000u-00", "a01-000u-01"]
    assert set(database.line_writers("train", 80)) == {"000"} and set(database.line_writers("test", 80)) == {"111"}
    crops, texts = database.line_crops("test", 80)
    assert texts == FORMS["b02-100"][1] and all(c.shape[0] == LINE_HEIGHT for c in crops)
    assert crops[0].min() == 20 and crops[0].max() == 250  # the line's ink is inside its box
    assert database.line_crops("test", 20)[1] == ["be made at a meeting"]  # too long lines left out
    page, lines = database.paragraph("b02-100")
    assert page.shape == (3 * LINE_HEIGHT, lines[0].box[2]) and lines[1].box[1] == 2 * LINE_HEIGHT


def test_iam_lines_dataset_reads_the_real_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    write_fixture(tmp_path / "data" / "raw" / "iam")
    dataset = IamLines(source="auto", width=256, max_length=40)
    assert dataset.source == "iam" and not dataset.is_substitute and "IAM Handwriting" in dataset.source_name
    data = dataset.load()
    assert data.x_train.shape == (2, 32, 256) and data.x_val.shape == (0, 32, 256)
    assert data.x_test[0].max() == 255 and np.median(data.x_test[0]) == 0  # normalised, white on black
    assert dataset.writer_of("test", 1) == "111"


def test_clear_message_when_iam_cannot_be_had(tmp_path, monkeypatch):
    monkeypatch.delenv("IAM_USERNAME", raising=False)
    with pytest.raises(DataError, match="registration.*IAM_USERNAME"):
        iam.prepare(tmp_path / "iam")
    with pytest.raises(DataError, match="not in .*IAM_USERNAME"):
        iam.IamDatabase(tmp_path / "nowhere").split_ids("train")


def test_prepare_from_local_archives_records_and_checks_checksums(tmp_path):
    archives = write_archives(tmp_path / "downloads")
    database = iam.prepare(tmp_path / "iam", archives_dir=archives)
    assert database.is_prepared() and len(database.lines) == 4
    record = json.loads((tmp_path / "iam" / "archives" / "checksums.json").read_text())
    assert set(record) == set(iam.ARCHIVES)
    # A changed archive no longer matches its recorded checksum: refused and moved aside.
    stored = tmp_path / "iam" / "archives" / "xml.tgz"
    stored.write_bytes(b"not the archive")
    with pytest.raises(DownloadError, match="SHA-256"):
        iam.verify_checksum(stored, "", tmp_path / "iam" / "archives" / "checksums.json")
    assert not stored.exists() and stored.with_name("xml.tgz.bad").exists()


def test_download_resumes_with_login(tmp_path, monkeypatch):
    payload = bytes(range(256)) * 40
    seen = []

    class Response(io.BytesIO):
        status = 206
        headers = {"Content-Length": str(len(payload) - 1000)}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(request, timeout):
        seen.append(dict(request.header_items()))
        return Response(payload[1000:])

    monkeypatch.setattr(iam.urllib.request, "urlopen", urlopen)
    target = tmp_path / "ascii.tgz"
    target.with_name("ascii.tgz.part").write_bytes(payload[:1000])
    iam.download_with_login("https://example.invalid/ascii.tgz", target, ("user", "secret"))
    assert target.read_bytes() == payload and not target.with_name("ascii.tgz.part").exists()
    assert seen[0]["Range"] == "bytes=1000-" and seen[0]["Authorization"].startswith("Basic ")
