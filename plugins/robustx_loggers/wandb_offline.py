"""Read a W&B offline run file (RUN_DIR/wandb/offline-run-*/run-ID.wandb) without the network (tests, bench).

wandb >= 0.19 no longer ships a Python reader (its Go core writes the file), so this is the format
itself: a ':W&B' header (magic 0xBEE1, version 0), then LevelDB-log blocks of 32 KiB whose records
(crc32, length, type: full/first/middle/last) carry serialized ``wandb_internal_pb2.Record`` messages.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

BLOCK, HEADER = 32 * 1024, 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> list[Any]:
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    ident, magic, version = struct.unpack("<4sHB", data[:HEADER])
    assert (ident, magic, version) == (b":W&B", 0xBEE1, 0), (ident, magic, version)
    out, pos, pending = [], HEADER, b""
    while pos + HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # the block's tail is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + HEADER])
        chunk = data[pos + HEADER:pos + HEADER + length]
        pos += HEADER + length
        if kind == 0 and length == 0:
            break
        pending = chunk if kind in (FULL, FIRST) else pending + chunk
        if kind in (FULL, LAST):
            record = pb.Record()
            record.ParseFromString(pending)
            out.append(record)
    return out


def _item_key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def read_run(run_dir: Path) -> dict[str, Any]:
    """{"history": [{key: value}], "summary": {key: value}, "config": {key: value}, "artifacts": [record]}."""
    (path,) = sorted(Path(run_dir, "wandb").glob("offline-run-*/run-*.wandb"))
    run: dict[str, Any] = {"history": [], "summary": {}, "config": {}, "artifacts": []}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "history":
            run["history"].append({_item_key(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "summary":
            run["summary"].update({_item_key(i): json.loads(i.value_json) for i in record.summary.update})
        elif kind == "run":  # wandb.init(config=...) travels in the run record
            run["config"].update({_item_key(i): json.loads(i.value_json) for i in record.run.config.update})
        elif kind == "config":
            run["config"].update({_item_key(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "artifact":
            run["artifacts"].append(record.artifact)
    return run
