"""The Stanford 1905 downloader on a fixture of the same format: ALTO XML + page images, served locally.

A local HTTP server (127.0.0.1, in a thread) stands in for raw.githubusercontent.com: it serves a
folder laid out as `<repository>/<commit>/<path>`, into which the tests write two pages (a JPEG
each) and their ALTO files. Nothing leaves the machine.
"""

import functools
import hashlib
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from commands import run_command
from PIL import Image, ImageDraw

from text_recognizer.data import stanford1905
from text_recognizer.data.errors import DataError, DownloadError
from text_recognizer.data.labelled_images import read_labels

REPOSITORY, COMMIT = "owner/letters", "0123456789abcdef0123456789abcdef01234567"
ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><sourceImageInformation><fileName>{image}</fileName></sourceImageInformation></Description>
  <Tags>
    <OtherTag ID="LT1" LABEL="DefaultLine:Handwritten"/><OtherTag ID="LT2" LABEL="DefaultLine:Print"/>
  </Tags>
  <Layout><Page WIDTH="400" HEIGHT="300" ID="p"><PrintSpace><TextBlock ID="b">{lines}</TextBlock></PrintSpace></Page>
  </Layout>
</alto>"""
LINE = """<TextLine ID="{id}" TAGREFS="{tag}" BASELINE="20 {base} 380 {base}">
  <Shape><Polygon POINTS="{points}"/></Shape><String CONTENT="{text}"/></TextLine>"""
# (id, tag, polygon top, text): page 1 is all handwriting; page 2 has a printed letterhead and a
# line with a character outside ASCII, so it gives its one plain line but no page.
PAGES = {
    "Page1": [("a", "LT1", 40, "Dear Sir"), ("b", "LT1", 120, "I accept &amp; thank you")],
    "Page2": [("c", "LT2", 20, "OFFICE OF THE MAYOR."), ("d", "LT1", 110, "Tr\u00e8s bien"),
              ("e", "LT1", 200, "Yours truly")],
}


def polygon(top):
    """A slanted quadrilateral: its box is (20, top, 381, top + 61); its corners are outside it."""
    return [(20, top + 10), (380, top), (380, top + 50), (20, top + 60)]


def write_repository(root: Path) -> Path:
    """The fixture repository at the pinned commit: dark ink (blocks) on grey-white paper."""
    folder = root / REPOSITORY / COMMIT / "data" / "letters"
    folder.mkdir(parents=True)
    for name, lines in PAGES.items():
        page = Image.new("RGB", (400, 300), (235, 235, 230))
        draw = ImageDraw.Draw(page)
        for _, _, top, _ in lines:
            draw.rectangle((0, top, 399, top + 60), fill=(20, 20, 30))  # ink beyond the polygon too
        page.save(folder / f"{name}.jpg", quality=95)
        xml = "".join(LINE.format(id=i, tag=tag, base=top + 45, points=" ".join(f"{x} {y}" for x, y in polygon(top)),
                                  text=text) for i, tag, top, text in lines)
        (folder / f"{name}.xml").write_text(ALTO.format(image=f"{name}.jpg", lines=xml), encoding="utf-8")
    return folder


def write_spec(path: Path, url: str, pinned: dict[str, str] | None = None) -> Path:
    pinned = pinned or {}
    pages = "".join(
        f'\n[[pages]]\nimage = "data/letters/{name}.jpg"\nalto = "data/letters/{name}.xml"\n'
        f'writer = "W{i}"\nimage_sha256 = "{pinned.get(name + ".jpg", "")}"\nalto_sha256 = ""\n'
        for i, name in enumerate(PAGES, start=1))
    path.write_text(f'repository = "{REPOSITORY}"\ncommit = "{COMMIT}"\nurl = "{url}"\n{pages}')
    return path


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/served over HTTP on 127.0.0.1; yields (url pattern, served folder)."""
    served = tmp_path / "served"
    files = write_repository(served)
    handler = functools.partial(QuietHandler, directory=str(served))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{{repository}}/{{commit}}/{{path}}", files
    httpd.shutdown()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output quiet
        pass


def test_downloads_verifies_and_cuts_the_lines(tmp_path, server):
    url, files = server
    spec = stanford1905.load_spec(write_spec(tmp_path / "spec.toml", url))
    output, raw = tmp_path / "out", tmp_path / "raw"
    stanford1905.prepare(output, spec, raw, retries=0)

    rows = read_labels(output)
    assert [(r.kind, r.writer, r.text) for r in rows] == [
        ("line", "W1", "Dear Sir"), ("line", "W1", "I accept & thank you"),
        ("page", "W1", "Dear Sir\nI accept & thank you"),  # a page whose every line is handwriting
        ("line", "W2", "Yours truly"),  # print and non-ASCII lines left out, so no page 2
    ]
    assert "Dear Sir\\nI accept" in (output / "labels.tsv").read_text()  # one row per page on disk
    line = np.asarray(Image.open(output / rows[0].name).convert("L"))
    assert line.shape == (61, 361)  # cropped to the polygon's box
    assert line[0, 0] > 200 and line[-1, -1] > 200  # outside the polygon: painted white
    assert line[30, 180] < 80  # inside: the ink
    page = output / rows[2].name
    assert page.read_bytes() == (files / "Page1.jpg").read_bytes()
    recorded = (raw / "checksums.json").read_text()
    assert hashlib.sha256((files / "Page2.xml").read_bytes()).hexdigest() in recorded
    assert "data/letters/Page1.jpg" in (output / "provenance.tsv").read_text()
    unpinned = stanford1905.unpinned_checksums(spec, raw)  # what a maintainer pins in the spec
    assert unpinned["data/letters/Page2.xml"] == hashlib.sha256((files / "Page2.xml").read_bytes()).hexdigest()
    assert len(unpinned) == 4


def test_the_command_says_what_it_wrote_and_what_to_pin(tmp_path, server, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(tmp_path / "data"))
    spec = write_spec(tmp_path / "spec.toml", server[0])
    result = run_command(stanford1905.main, "--spec", spec, "--output", tmp_path / "out")
    printed = result.output
    assert result.exit_code == 0, printed
    assert "4 files have no SHA-256 in spec.toml" in printed and "data/letters/Page1.xml  " in printed
    assert "3 lines and 1 pages of 2 writers" in printed and "make evaluate-real DATA=" in printed
    assert (tmp_path / "data" / "raw" / "stanford1905" / COMMIT / "checksums.json").is_file()


def test_a_checksum_mismatch_is_refused(tmp_path, server):
    url, _ = server
    spec = stanford1905.load_spec(write_spec(tmp_path / "spec.toml", url, {"Page2.jpg": "0" * 64}))
    with pytest.raises(DownloadError, match="SHA-256 .* but the spec expects 0{64}"):
        stanford1905.prepare(tmp_path / "out", spec, tmp_path / "raw", retries=0)
    assert (tmp_path / "raw" / "Page2.jpg.bad").is_file() and not (tmp_path / "raw" / "Page2.jpg").exists()
    assert not (tmp_path / "out" / "labels.tsv").exists()


def test_a_changed_file_is_refused_against_the_recorded_checksum(tmp_path, server):
    url, files = server
    spec = stanford1905.load_spec(write_spec(tmp_path / "spec.toml", url))
    stanford1905.prepare(tmp_path / "out", spec, tmp_path / "raw", retries=0)
    (tmp_path / "raw" / "Page1.xml").write_text("<alto/>")  # damaged after the first download
    with pytest.raises(DownloadError, match="Page1.xml has SHA-256 .* expected"):
        stanford1905.prepare(tmp_path / "out", spec, tmp_path / "raw", retries=0)


def test_a_failed_download_says_what_to_do(tmp_path, server):
    url, files = server
    (files / "Page2.jpg").unlink()  # the server answers 404
    spec = stanford1905.load_spec(write_spec(tmp_path / "spec.toml", url))
    with pytest.raises(DownloadError, match=r"HTTP 404.*download .*Page2.jpg yourself"):
        stanford1905.prepare(tmp_path / "out", spec, tmp_path / "raw", retries=0)
    offline = stanford1905.load_spec(write_spec(tmp_path / "offline.toml", "http://127.0.0.1:9/{path}"))
    with pytest.raises(DownloadError, match="Could not reach"):
        stanford1905.prepare(tmp_path / "out", offline, tmp_path / "raw2", retries=0)


def test_bad_specs_are_refused(tmp_path):
    spec = write_spec(tmp_path / "spec.toml", "http://x/{path}")
    spec.write_text(spec.read_text().replace(COMMIT, "main"))
    with pytest.raises(DataError, match="40-digit"):
        stanford1905.load_spec(spec)
    with pytest.raises(DataError, match="restore it from git"):
        stanford1905.load_spec(tmp_path / "missing.toml")


def test_the_pinned_spec_reads():
    spec = stanford1905.load_spec()
    assert spec.repository == "PSL-Chartes-HTR-Students/HN2021-Memorials_Jane_Lathrop_Stanford"
    assert len(spec.pages) >= 16 and len({page.writer for page in spec.pages}) == 16
    assert spec.file_url(spec.pages[0].alto).startswith(f"https://raw.githubusercontent.com/{spec.repository}/{spec.commit}/")


def test_alto_without_namespace_or_shapes(tmp_path):
    path = tmp_path / "page.xml"
    path.write_text('<alto><Layout><Page WIDTH="100" HEIGHT="50"><TextLine HPOS="5" VPOS="6" WIDTH="80" HEIGHT="20">'
                    '<String CONTENT="two"/><SP/><String CONTENT="words"/></TextLine></Page></Layout></alto>')
    page = stanford1905.parse_alto(path)
    assert (page.width, page.height) == (100, 50)
    [line] = page.lines
    assert line.text == "two words" and line.line_type == "" and stanford1905.is_kept(line)
    assert stanford1905.polygon_box(line.polygon) == (5, 6, 86, 27)
    (tmp_path / "bad.xml").write_text("<alto>")
    with pytest.raises(DataError, match="not a readable ALTO"):
        stanford1905.parse_alto(tmp_path / "bad.xml")


def test_a_transcription_of_a_rescaled_image_still_fits():
    alto = stanford1905.AltoPage("page.jpg", 400, 300, ())
    assert stanford1905.page_scale(alto, (800, 600)) == 2.0
    assert stanford1905.page_scale(stanford1905.AltoPage("page.jpg", 0, 0, ()), (800, 600)) == 1.0
    with pytest.raises(DataError, match="do not belong together"):
        stanford1905.page_scale(alto, (800, 300))
