"""Corrections as data: checked, stored (files + SQLite, or S3 keys), exported as a labels.tsv folder."""

import base64
import io
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from commands import run_command
from PIL import Image

from text_recognizer.corrections.export import export_labels, main
from text_recognizer.corrections.store import (
    MAX_CROP_BYTES,
    CorrectionTooLarge,
    InvalidCorrection,
    LocalCorrectionStore,
    S3CorrectionStore,
    parse_correction,
)
from text_recognizer.data.labelled_images import read_labels


def png_base64(width: int = 60, height: int = 12, fmt: str = "PNG") -> str:
    pixels = np.random.default_rng(width).integers(0, 255, (height, width), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def request(**changes):
    return {"image": png_base64(), "reading": "helo wrld", "correction": "hello world", "model": "line@abc123",
            **changes}


def test_a_correction_is_stored_as_a_crop_and_a_row_and_exported_as_labels(tmp_path):
    store = LocalCorrectionStore(tmp_path / "store")
    first = parse_correction(request(), now=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    second = parse_correction(request(correction="the cat sat", reading="the cot sat", model=""),
                              default_model="server-model@def456", now=datetime(2026, 12, 7, 7, 0, tzinfo=UTC))
    store.add(first)
    store.add(second)
    assert len(store) == 2
    stored = list(store.records())
    assert [r["correction"] for r in stored] == ["hello world", "the cat sat"]
    assert stored[0]["reading"] == "helo wrld" and stored[0]["model"] == "line@abc123"
    assert stored[0]["created"] == "2026-12-07T08:00:00.000+00:00" and stored[1]["model"] == "server-model@def456"
    assert store.crop_path(stored[0]).read_bytes() == first.crop
    assert Image.open(store.crop_path(stored[1])).size == (60, 12)

    labels = export_labels(tmp_path / "store", tmp_path / "lines")
    rows = [row.split("\t") for row in labels.read_text().splitlines()]
    assert rows[0] == ["name", "kind", "writer", "text"]
    assert rows[1:] == [[first.crop_name, "line", "user", "hello world"], [second.crop_name, "line", "user",
                                                                             "the cat sat"]]
    assert (tmp_path / "lines" / first.crop_name).read_bytes() == first.crop
    # The folder is what `make evaluate-real DATA=...` reads.
    assert [(image.name, image.text) for image in read_labels(tmp_path / "lines")] == [
        (first.crop_name, "hello world"), (second.crop_name, "the cat sat")]


@pytest.mark.parametrize(("payload", "error", "message"), [
    (["not", "an", "object"], InvalidCorrection, "JSON object"),
    (request(correction=None), InvalidCorrection, "correction"),
    (request(correction="   "), InvalidCorrection, "empty"),
    (request(correction="two\tfields"), InvalidCorrection, "tab"),
    (request(correction="two\nlines"), InvalidCorrection, "one line"),
    (request(correction="x" * 301), InvalidCorrection, "at most 300"),
    (request(reading=42), InvalidCorrection, "reading"),
    (request(image="not base64 at all!"), InvalidCorrection, "base64"),
    (request(image=base64.b64encode(b"my shopping list").decode()), InvalidCorrection, "PNG or JPEG"),
    (request(image=png_base64(fmt="GIF")), InvalidCorrection, "GIF"),
    (request(image="A" * (MAX_CROP_BYTES * 2)), CorrectionTooLarge, "MiB"),
    (request(extra="field"), InvalidCorrection, "Unknown"),
])
def test_bad_corrections_are_refused_and_store_nothing(tmp_path, payload, error, message):
    store = LocalCorrectionStore(tmp_path)
    store.add(parse_correction(request()))
    with pytest.raises(error, match=message):
        store.add(parse_correction(payload))
    assert len(store) == 1 and len(list((tmp_path / "crops").iterdir())) == 1


class RecordingS3:
    """An S3 client that keeps what it is given (the tests run offline)."""

    def __init__(self):
        self.objects = {}

    def put_object(self, Bucket, Key, Body, ContentType):  # noqa: N803 - boto3's argument names
        self.objects[(Bucket, Key)] = (Body, ContentType)


def test_the_s3_store_writes_the_crop_and_the_record_under_new_keys_and_exports_from_a_copy(tmp_path):
    client = RecordingS3()
    store = S3CorrectionStore("bucket", "corrections/", client)
    correction = parse_correction(request())
    store.add(correction)
    crop_key, record_key = f"corrections/crops/{correction.id}.png", f"corrections/records/{correction.id}.json"
    assert set(client.objects) == {("bucket", crop_key), ("bucket", record_key)}
    assert client.objects[("bucket", crop_key)] == (correction.crop, "image/png")
    record = json.loads(client.objects[("bucket", record_key)][0])
    assert record["correction"] == "hello world" and record["model"] == "line@abc123" and "crop" not in record

    # `aws s3 sync s3://bucket/corrections/ copy/` gives this folder; the export reads it as it reads a local store.
    for (_, key), (body, _) in client.objects.items():
        path = tmp_path / "copy" / key.removeprefix("corrections/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    assert run_command(main, "--store", tmp_path / "copy", "--output", tmp_path / "lines").exit_code == 0
    assert (tmp_path / "lines" / "labels.tsv").read_text().splitlines()[1] == \
        f"{correction.crop_name}\tline\tuser\thello world"


def test_the_export_of_a_folder_without_corrections_says_what_to_pass(tmp_path):
    result = run_command(main, "--store", tmp_path, "--output", tmp_path / "out")
    assert result.exit_code == 1 and "holds no corrections" in result.output
