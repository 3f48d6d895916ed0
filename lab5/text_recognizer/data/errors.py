"""The one exception type of the data layer.

Every data problem a user can fix (a missing download, a corrupt file, no network) raises a
`DataError` whose message says what happened *and what to do next*, instead of a traceback from
deep inside numpy, zipfile or urllib.
"""

from __future__ import annotations


class DataError(RuntimeError):
    """A data problem the user can fix; the message says how."""


class DownloadError(DataError):
    """A download failed (no network, server error, wrong checksum)."""
