"""Downloads: resume after a dropped connection, checksum, offline, no needless re-download.

A local HTTP server (127.0.0.1, in a thread) stands in for NIST: it answers Range requests and can
drop the connection halfway through its first answer.
"""

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from text_recognizer.data import download as download_module
from text_recognizer.data.download import DownloadSpec, download, load_spec
from text_recognizer.data.errors import DownloadError

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB, several read chunks


class FlakyServer(ThreadingHTTPServer):
    """Serves PAYLOAD at any path; `drop_first` cuts the first answer off halfway."""

    def __init__(self, drop_first=False):
        super().__init__(("127.0.0.1", 0), Handler)
        self.drop_first = drop_first
        self.requests = []  # the Range header of every request (None when absent)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/matlab.zip"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # the name http.server calls
        server = self.server
        server.requests.append(self.headers.get("Range"))
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.end_headers()
        if server.drop_first and len(server.requests) == 1:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True  # the connection drops, half the file short
            return
        self.wfile.write(body)

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def serve():
    servers = []

    def start(**kwargs):
        server = FlakyServer(**kwargs)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def spec_for(url, payload=PAYLOAD):
    return DownloadSpec(url=url, filename="matlab.zip", sha256=hashlib.sha256(payload).hexdigest())


def test_resumes_after_a_dropped_connection(serve, tmp_path):
    server = serve(drop_first=True)
    path = download(spec_for(server.url), tmp_path, backoff=0)
    assert path == tmp_path / "matlab.zip"
    assert path.read_bytes() == PAYLOAD
    assert len(server.requests) == 2
    assert server.requests[0] is None and server.requests[1] == f"bytes={len(PAYLOAD) // 2}-"
    assert not (tmp_path / "matlab.zip.part").exists()


def test_wrong_checksum_moves_the_file_aside(serve, tmp_path):
    server = serve()
    spec = DownloadSpec(url=server.url, filename="matlab.zip", sha256="0" * 64)
    with pytest.raises(DownloadError, match="SHA-256") as error:
        download(spec, tmp_path, backoff=0)
    assert not (tmp_path / "matlab.zip").exists()  # the final name never holds a bad file
    assert (tmp_path / "matlab.zip.bad").read_bytes() == PAYLOAD
    assert "matlab.zip.bad" in str(error.value)


def test_offline_error_names_the_substitute_and_the_manual_path(tmp_path):
    with socket.socket() as probe:  # a port that nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spec = spec_for(f"http://127.0.0.1:{port}/matlab.zip")
    with pytest.raises(DownloadError, match="offline substitute") as error:
        download(spec, tmp_path, retries=1, backoff=0)
    assert str(tmp_path / "matlab.zip") in str(error.value)
    assert spec.sha256 in str(error.value)


def test_a_verified_file_is_not_downloaded_again(serve, tmp_path):
    server = serve()
    (tmp_path / "matlab.zip").write_bytes(PAYLOAD)
    assert download(spec_for(server.url), tmp_path) == tmp_path / "matlab.zip"
    assert server.requests == []


def test_a_damaged_file_in_place_is_replaced(serve, tmp_path):
    server = serve()
    (tmp_path / "matlab.zip").write_bytes(b"half a file")
    download(spec_for(server.url), tmp_path)
    assert (tmp_path / "matlab.zip").read_bytes() == PAYLOAD
    assert (tmp_path / "matlab.zip.bad").read_bytes() == b"half a file"


def test_http_error_is_not_retried(tmp_path, serve):
    server = serve()
    server.RequestHandlerClass = NotFound
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(spec_for(server.url), tmp_path, backoff=0)
    assert len(server.requests) == 1


class NotFound(Handler):
    def do_GET(self):
        self.server.requests.append(None)
        self.send_error(404)


def test_specs_load_from_toml(tmp_path, monkeypatch):
    spec = load_spec("emnist")  # the real one, under version control
    assert spec.url == "https://biometrics.nist.gov/cs_links/EMNIST/matlab.zip"
    assert spec.filename == "matlab.zip" and len(spec.sha256) == 64
    (tmp_path / "broken.toml").write_text('url = "https://example.org/x"\n')
    monkeypatch.setattr(download_module, "METADATA_DIR", tmp_path)
    with pytest.raises(DownloadError, match="needs the keys url, filename"):
        load_spec("broken")
