"""Download a raw data file safely: resume, retry, verify its SHA-256, then put it in place.

What to download lives under version control as a small TOML spec in `data/metadata/`
(url, filename, sha256 and optionally size); the data file itself never goes into git.

    spec = load_spec("emnist")
    path = download(spec, paths.raw_dir("emnist"))

The file is streamed to `<filename>.part`; a dropped connection resumes where it stopped (an
HTTP Range request); only a file whose SHA-256 matches the spec is renamed to its final name,
so a half-written or wrong file is never mistaken for good data.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import socket
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .errors import DownloadError

logger = logging.getLogger(__name__)

METADATA_DIR = Path(__file__).resolve().parent / "metadata"
CHUNK_SIZE = 1 << 20  # 1 MiB: small enough for a smooth progress bar, big enough to be fast


@dataclass(frozen=True)
class DownloadSpec:
    """Where a raw file comes from and how to recognise the right one."""

    url: str
    filename: str
    sha256: str  # "" only where no checksum is published: the caller records and checks it
    size: int | None = None  # bytes; only used for the progress bar when the server omits it

    @classmethod
    def from_toml(cls, path: str | Path) -> DownloadSpec:
        """Read a spec from a TOML file with keys url, filename, sha256 (and optionally size)."""
        path = Path(path)
        try:
            fields = tomllib.loads(path.read_text(encoding="utf-8"))
            spec = cls(**fields)
        except (OSError, tomllib.TOMLDecodeError, TypeError) as error:
            raise DownloadError(
                f"Cannot read the download spec {path}: {error}. It needs the keys url, filename "
                "and sha256 (size is optional); restore it from git if it was edited by mistake."
            ) from error
        if len(spec.sha256) != 64 or any(c not in "0123456789abcdef" for c in spec.sha256.lower()):
            raise DownloadError(f"{path}: sha256 must be 64 hex digits, got {spec.sha256!r}.")
        return spec


def load_spec(name: str) -> DownloadSpec:
    """The spec of dataset `name`, from `data/metadata/<name>.toml`."""
    return DownloadSpec.from_toml(METADATA_DIR / f"{name}.toml")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks (works for files larger than memory)."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def download(
    spec: DownloadSpec,
    dest_dir: str | Path,
    *,
    retries: int = 4,
    timeout: float = 30.0,
    backoff: float = 1.0,
) -> Path:
    """Download `spec` into `dest_dir` and return the verified file's path.

    A file already in place with the right SHA-256 is not downloaded again. A spec whose sha256
    is "" (a source that publishes none) is downloaded unverified: the caller must record and
    check its checksum (`verify_checksum`). After a network error
    the download waits (backoff, 2 x backoff, 4 x backoff ... seconds) and resumes, up to
    `retries` times. Raises `DownloadError` (with what to do next) when it cannot finish.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / spec.filename
    part = dest_dir / f"{spec.filename}.part"

    if path.exists():
        if not spec.sha256 or file_sha256(path) == spec.sha256:
            logger.info("%s is already downloaded and verified.", path)
            return path
        bad = _move_aside(path)
        logger.warning("%s had the wrong SHA-256; moved it to %s and downloading again.", path, bad)

    received_any = part.exists() and part.stat().st_size > 0
    complete, last_error = False, None
    for attempt in range(retries + 1):
        try:
            _fetch(spec, part, timeout)
            complete = True
        except urllib.error.HTTPError as error:
            if error.code == 416 and part.exists():
                complete = True  # "Range Not Satisfiable": the .part file already holds it all
            elif error.code < 500:  # 404, 403...: asking again will not help
                raise DownloadError(
                    f"{spec.url} answered HTTP {error.code} ({error.reason}). The file may have "
                    f"moved: check the url in the dataset's spec, or {_by_hand(spec, path)}"
                ) from error
            last_error = error
        except (OSError, http.client.HTTPException) as error:  # URLError and timeouts are OSErrors
            last_error = error
            if not received_any and _is_name_resolution_error(error):
                break  # no DNS means no internet: retrying would only make the user wait
        received_any = received_any or (part.exists() and part.stat().st_size > 0)
        if complete or attempt == retries:
            break
        wait = backoff * 2**attempt
        logger.warning("Download of %s interrupted (%s); retrying in %.1f s.", spec.url, last_error, wait)
        time.sleep(wait)
    if not complete:
        raise _failure(spec, path, part, last_error, received_any)

    actual = file_sha256(part)
    if spec.sha256 and actual != spec.sha256:
        bad = _move_aside(part, final_name=path)
        raise DownloadError(
            f"The file downloaded from {spec.url} has SHA-256 {actual}, but the spec expects "
            f"{spec.sha256}. It was moved aside to {bad} (delete it when you like). Run the "
            "download again; if it keeps failing the server's file has changed: tell the "
            f"course staff, or {_by_hand(spec, path)}"
        )
    os.replace(part, path)  # atomic: the final name only ever holds a verified file
    logger.info("Downloaded and verified %s.", path)
    return path


def verify_checksum(path: Path, pinned: str, record: Path) -> str:
    """Check `path`'s SHA-256 against `pinned`, else against (or, on first use, into) the `record` JSON.

    For sources that publish no checksums (IAM, GitHub files): the first verified download
    records each file's SHA-256, every later use must match it. A mismatch moves the file aside.
    """
    actual = file_sha256(path)
    recorded = json.loads(record.read_text()) if record.is_file() else {}
    expected = pinned or recorded.get(path.name)
    if expected and actual != expected:
        bad = _move_aside(path)
        raise DownloadError(
            f"{path.name} has SHA-256 {actual}, expected {expected}. It was moved aside to {bad}: "
            f"download it again (or, if its source really changed the file, delete its entry in {record})."
        )
    if not expected:
        recorded[path.name] = actual
        record.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
        logger.info("Recorded the SHA-256 of %s: %s", path.name, actual)
    return actual


def _fetch(spec: DownloadSpec, part: Path, timeout: float) -> None:
    """One attempt: append to `part` from where it stopped; raise if the stream ends early."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "text-recognizer-course"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(spec.url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if offset and response.status != 206:
            offset = 0  # the server ignored the Range header and sends the whole file again
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else spec.size
        with (
            open(part, "ab" if offset else "wb") as file,
            tqdm(total=total, initial=offset, unit="B", unit_scale=True, desc=spec.filename) as bar,
        ):
            while chunk := response.read(CHUNK_SIZE):
                file.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if total is not None and size < total:
        # urllib returns b"" (no exception) when the server closes the connection early.
        raise ConnectionError(f"connection closed after {size} of {total} bytes")


def _is_name_resolution_error(error: Exception) -> bool:
    return isinstance(getattr(error, "reason", None), socket.gaierror)


def _move_aside(path: Path, final_name: Path | None = None) -> Path:
    """Rename a bad file to `<name>.bad` so that it is kept for inspection but never used."""
    bad = (final_name or path).with_name((final_name or path).name + ".bad")
    os.replace(path, bad)
    return bad


def _by_hand(spec: DownloadSpec, path: Path) -> str:
    checksum = f" (its SHA-256 must be {spec.sha256})" if spec.sha256 else ""
    return f"download {spec.url} yourself and put it at {path}{checksum}."


def _failure(
    spec: DownloadSpec, path: Path, part: Path, error: Exception, received_any: bool
) -> DownloadError:
    if received_any:
        what = (
            f"The download of {spec.url} kept failing ({error}). The part already received is "
            f"kept in {part}: run the download again to resume it."
        )
    else:
        what = f"Could not reach {spec.url} ({error}): this machine seems to be offline."
    return DownloadError(
        f"{what} Without the real data the course falls back to its offline substitute (built "
        "from the npm data packages, named as a substitute wherever it is used), so the labs "
        f"still run. To use the real data, {_by_hand(spec, path)}"
    )
