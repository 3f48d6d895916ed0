"""Corrections that users send back: checked, then stored with what the model read and which model read it.

    correction = parse_correction({"image": "<base64 PNG of the line>", "reading": "helo",
                                   "correction": "hello", "model": "line_model_ctc_line_lstm_ctc@3f2a..."})
    LocalCorrectionStore("corrections/").add(correction)      # crops/<id>.png + corrections.sqlite3
    S3CorrectionStore("my-bucket", "corrections/").add(correction)   # the Lambda function

A stored correction is never changed or removed by the service: each gets a new id, its crop is
written (to a temporary name, then renamed) before its row, and a request that fails a check
stores nothing. `export.py` turns a local store into a labelled line set (`labels.tsv`).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import sqlite3
import unicodedata
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_CROP_BYTES = 2 * 1024 * 1024
"""The largest line crop accepted (encoded bytes): a line image is far smaller."""
MAX_TEXT = 300
"""The longest reading or correction accepted, in characters."""
MAX_MODEL = 200
DATABASE = "corrections.sqlite3"
CROPS = "crops"


class InvalidCorrection(ValueError):
    """A correction that cannot be stored: the message says what to send instead."""


class CorrectionTooLarge(InvalidCorrection):
    """A correction whose crop is over the size limit."""


@dataclass(frozen=True)
class Correction:
    """One correction: the line's crop (PNG or JPEG bytes), what the model read, what the user says
    it says, which model read it and when it was received."""

    id: str
    reading: str
    correction: str
    model: str
    created: str
    crop: bytes
    crop_format: str

    @property
    def crop_name(self) -> str:
        return f"{self.id}.{self.crop_format}"

    def record(self) -> dict[str, str]:
        """Everything but the crop's bytes (what the SQLite row and the S3 JSON hold)."""
        fields = asdict(self)
        fields.pop("crop")
        return {**fields, "crop_name": self.crop_name}


def _text(payload: Mapping[str, Any], field: str, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = payload.get(field, "" if not required else None)
    if not isinstance(value, str):
        raise InvalidCorrection(f'"{field}" must be a string (the line\'s text), got '
                                f"{type(value).__name__ if value is not None else 'nothing'}.")
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > limit:
        raise InvalidCorrection(f'"{field}" has {len(value)} characters; at most {limit} are accepted for one line.')
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise InvalidCorrection(f'"{field}" holds a tab, newline or other control character: send one line of text.')
    return value


def _crop(value: Any) -> tuple[bytes, str]:
    """The crop's bytes and format ("png" or "jpg") from base64 (a data URL or bare), checked by Pillow."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(value, str) or not value:
        raise InvalidCorrection('"image" must be the line\'s crop as base64 (a data:image/png;base64,... URL).')
    encoded = value.split(",", 1)[1] if value.startswith("data:") else value
    if len(encoded) > MAX_CROP_BYTES * 4 // 3 + 4:
        raise CorrectionTooLarge(f"The crop is over {MAX_CROP_BYTES // (1024 * 1024)} MiB: send the line's crop, "
                                 "not the whole photo.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidCorrection('"image" is not valid base64: send data:image/png;base64,<the PNG bytes>.') from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidCorrection('"image" is not a PNG or JPEG image: send the line\'s crop as PNG.') from None
    if kind not in ("PNG", "JPEG"):
        raise InvalidCorrection(f'"image" is a {kind} image: send the crop as PNG or JPEG.')
    return data, "png" if kind == "PNG" else "jpg"


def parse_correction(payload: Any, default_model: str = "", now: datetime | None = None) -> Correction:
    """Check a correction request's JSON and make it a `Correction` with a new id and the time now.

    Fields: `image` (base64 crop of the line), `correction` (its true text, one line, not empty),
    `reading` (what the model read; may be empty), `model` (which model read it; default
    `default_model`). Raises `InvalidCorrection` (or `CorrectionTooLarge`) naming what is wrong.
    """
    if not isinstance(payload, Mapping):
        raise InvalidCorrection('Send a JSON object: {"image": "<base64 PNG>", "reading": "...", "correction": "..."}.')
    unknown = set(payload) - {"image", "reading", "correction", "model"}
    if unknown:
        raise InvalidCorrection(f"Unknown field(s) {sorted(unknown)[:5]}: send image, reading, correction and model.")
    correction = _text(payload, "correction")
    if not correction:
        raise InvalidCorrection('"correction" is empty: type what the line says.')
    reading = _text(payload, "reading", required=False)
    model = _text(payload, "model", required=False, limit=MAX_MODEL) or default_model
    crop, crop_format = _crop(payload.get("image"))
    created = (now or datetime.now(UTC)).isoformat(timespec="milliseconds")
    return Correction(uuid.uuid4().hex, reading, correction, model, created, crop, crop_format)


class LocalCorrectionStore:
    """Corrections on disk: `<folder>/crops/<id>.png` and one row each in `<folder>/corrections.sqlite3`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        (self.folder / CROPS).mkdir(parents=True, exist_ok=True)
        with self._connect() as database:
            database.execute("CREATE TABLE IF NOT EXISTS corrections (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
                             "model TEXT NOT NULL, reading TEXT NOT NULL, correction TEXT NOT NULL, "
                             "crop_name TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        # Several gunicorn workers may write at once: wait for the lock rather than fail.
        return sqlite3.connect(self.folder / DATABASE, timeout=30)

    def add(self, correction: Correction) -> str:
        """Store `correction` (its crop first, then its row); its id."""
        path = self.folder / CROPS / correction.crop_name
        partial = path.with_suffix(".partial")
        partial.write_bytes(correction.crop)
        os.replace(partial, path)
        record = correction.record()
        with self._connect() as database:
            database.execute("INSERT INTO corrections (id, created, model, reading, correction, crop_name) "
                             "VALUES (:id, :created, :model, :reading, :correction, :crop_name)", record)
        return correction.id

    def records(self) -> Iterator[dict[str, str]]:
        """Every stored correction (without its crop's bytes), in the order they were stored."""
        with self._connect() as database:
            database.row_factory = sqlite3.Row
            rows = database.execute("SELECT id, created, model, reading, correction, crop_name FROM corrections "
                                    "ORDER BY rowid").fetchall()
        yield from (dict(row) for row in rows)

    def crop_path(self, record: Mapping[str, str]) -> Path:
        """Where the crop of a stored record is."""
        return self.folder / CROPS / record["crop_name"]

    def __len__(self) -> int:
        with self._connect() as database:
            return int(database.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])


class S3CorrectionStore:
    """Corrections in S3 (the Lambda function): `<prefix>crops/<id>.png` and `<prefix>records/<id>.json`.

    Args:
        bucket: the bucket's name (serverless.yml gives it as TEXT_RECOGNIZER_CORRECTIONS_BUCKET).
        prefix: the keys' prefix, e.g. "corrections/".
        client: an S3 client (default: `boto3.client("s3")`, which the Lambda runtime has).
    """

    def __init__(self, bucket: str, prefix: str = "corrections/", client: Any = None) -> None:
        if client is None:
            import boto3  # in the Lambda runtime; not needed locally

            client = boto3.client("s3")
        self.bucket, self.prefix, self.client = bucket, prefix, client

    def keys(self, correction: Correction) -> tuple[str, str]:
        """The crop's and the record's key."""
        return f"{self.prefix}crops/{correction.crop_name}", f"{self.prefix}records/{correction.id}.json"

    def add(self, correction: Correction) -> str:
        """Store the crop, then the record (new keys only: an id is never reused); the id."""
        crop_key, record_key = self.keys(correction)
        content_type = "image/png" if correction.crop_format == "png" else "image/jpeg"
        self.client.put_object(Bucket=self.bucket, Key=crop_key, Body=correction.crop, ContentType=content_type)
        self.client.put_object(Bucket=self.bucket, Key=record_key, ContentType="application/json",
                               Body=json.dumps(correction.record()).encode())
        return correction.id


def store_from_environment(default_folder: str | Path) -> LocalCorrectionStore | S3CorrectionStore:
    """S3 when TEXT_RECOGNIZER_CORRECTIONS_BUCKET is set (the Lambda function), else the local folder
    TEXT_RECOGNIZER_CORRECTIONS_DIR or `default_folder`."""
    bucket = os.environ.get("TEXT_RECOGNIZER_CORRECTIONS_BUCKET")
    if bucket:
        return S3CorrectionStore(bucket, os.environ.get("TEXT_RECOGNIZER_CORRECTIONS_PREFIX", "corrections/"))
    return LocalCorrectionStore(os.environ.get("TEXT_RECOGNIZER_CORRECTIONS_DIR") or default_folder)
