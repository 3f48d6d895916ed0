"""Read back an offline W&B run: what `wandb sync` would upload, as plain data (for tests).

An offline run is one file, `<run_dir>/wandb/offline-run-*/run-<id>.wandb`: a LevelDB-style log
(32 KiB blocks, 7-byte record headers) of W&B's protobuf `Record`s. W&B has no public reader of
its own, so the tests read the records they check: the run (project, id, name, group, config),
the summary updates and the logged artifacts.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BLOCK = 32 * 1024
HEADER = struct.Struct("<IHB")  # checksum, length, kind (1 full, 2 first, 3 middle, 4 last)


def records(path: Path) -> Iterator[bytes]:
    """The serialized records of one `.wandb` file, in order."""
    data = path.read_bytes()
    if not data.startswith(b":W&B"):
        raise ValueError(f"{path} is not a W&B run file")
    position, pieces = 7, b""
    while position + HEADER.size <= len(data):
        if BLOCK - position % BLOCK < HEADER.size:  # a block's tail too short for a header is padding
            position += BLOCK - position % BLOCK
            continue
        _checksum, length, kind = HEADER.unpack_from(data, position)
        position += HEADER.size
        pieces += data[position:position + length]
        position += length
        if kind in (1, 4):
            yield pieces
            pieces = b""


def read_offline_run(run_dir: Path) -> dict[str, Any]:
    """The one offline run under `run_dir`: its identity, config, summary and artifacts.

    Keys W&B adds itself (`_wandb`, `_runtime`, `_step`, ...) are left out.
    """
    from wandb.proto import wandb_internal_pb2

    files = list(Path(run_dir).glob("wandb/offline-run-*/run-*.wandb"))
    if len(files) != 1:
        raise AssertionError(f"expected one offline run under {run_dir}/wandb, found {len(files)}")
    run: dict[str, Any] = {"folder": files[0].parent.name, "summary": {}, "artifacts": []}
    for data in records(files[0]):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            found = record.run
            run.update(run_id=found.run_id, project=found.project, name=found.display_name, group=found.run_group,
                       job_type=found.job_type, tags=list(found.tags),
                       config={item.key: json.loads(item.value_json) for item in found.config.update
                               if not item.key.startswith("_")})
        elif kind == "summary":
            for item in record.summary.update:
                key = item.key or ".".join(item.nested_key)
                if not key.startswith("_"):
                    run["summary"][key] = json.loads(item.value_json)
        elif kind == "artifact":
            found = record.artifact
            run["artifacts"].append({"name": found.name, "type": found.type,
                                     "metadata": json.loads(found.metadata or "{}"),
                                     "files": sorted(entry.path for entry in found.manifest.contents)})
    return run
