"""A reader of Avro object container files (the format of Iceberg's manifest lists and manifests), so the tests read
an Iceberg table's committed snapshot as Athena does (metadata -> manifest list -> manifests -> data files) without
starting Spark or adding a dependency. Covers the Avro 1.11 specification's binary encoding and the null and
deflate codecs (Iceberg writes manifests with deflate by default); anything else is refused by name."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any, Iterator

MAGIC = b"Obj\x01"


class _Decoder:
    def __init__(self, data: bytes):
        self.buf = io.BytesIO(data)

    def at_end(self) -> bool:
        return self.buf.tell() >= len(self.buf.getbuffer())

    def read(self, n: int) -> bytes:
        out = self.buf.read(n)
        if len(out) != n:
            raise ValueError(f"truncated Avro data: wanted {n} bytes, got {len(out)}")
        return out

    def long(self) -> int:
        shift, acc = 0, 0
        while True:
            b = self.read(1)[0]
            acc |= (b & 0x7F) << shift
            if not b & 0x80:
                return (acc >> 1) ^ -(acc & 1)
            shift += 7

    def value(self, schema: Any, named: dict[str, Any]) -> Any:
        if isinstance(schema, list):  # union: the branch index, then that branch's value
            return self.value(schema[self.long()], named)
        if isinstance(schema, str):
            return self._primitive(schema, named)
        kind = schema["type"]
        if kind == "record":
            named[schema["name"]] = schema
            return {f["name"]: self.value(f["type"], named) for f in schema["fields"]}
        if kind == "array":
            return [item for item in self._blocks(lambda: self.value(schema["items"], named))]
        if kind == "map":
            return dict(self._blocks(lambda: (self._primitive("string", named), self.value(schema["values"], named))))
        if kind == "fixed":
            named[schema["name"]] = schema
            return self.read(schema["size"])
        if kind == "enum":
            named[schema["name"]] = schema
            return schema["symbols"][self.long()]
        return self._primitive(kind, named)  # {"type": "long", "logicalType": ...}

    def _blocks(self, item) -> Iterator[Any]:
        while True:
            count = self.long()
            if count == 0:
                return
            if count < 0:  # a negative count is followed by the block's size in bytes
                count = -count
                self.long()
            for _ in range(count):
                yield item()

    def _primitive(self, kind: str, named: dict[str, Any]) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return self.read(1) != b"\x00"
        if kind in ("int", "long"):
            return self.long()
        if kind == "float":
            return struct.unpack("<f", self.read(4))[0]
        if kind == "double":
            return struct.unpack("<d", self.read(8))[0]
        if kind == "bytes":
            return self.read(self.long())
        if kind == "string":
            return self.read(self.long()).decode("utf-8")
        if kind in named:
            return self.value(named[kind], named)
        raise ValueError(f"Avro type {kind!r} is not known to this reader")


def read_container(data: bytes) -> tuple[dict[str, bytes], list[dict]]:
    """The file's metadata (avro.schema, avro.codec, and the writer's keys such as Iceberg's partition-spec) and
    its records, decoded with the writer's schema."""
    if data[:4] != MAGIC:
        raise ValueError(f"not an Avro object container file: it starts with {data[:4]!r}, not {MAGIC!r}")
    header = _Decoder(data[4:])
    meta = {k: v for k, v in header._blocks(lambda: (header._primitive("string", {}), header._primitive("bytes", {})))}
    sync = header.read(16)
    schema = json.loads(meta["avro.schema"])
    codec = meta.get("avro.codec", b"null").decode()
    if codec not in ("null", "deflate"):
        raise ValueError(f"Avro codec {codec!r} is not supported by this reader (null and deflate are)")
    records: list[dict] = []
    while not header.at_end():
        count, size = header.long(), header.long()
        block = header.read(size)
        if codec == "deflate":
            block = zlib.decompress(block, -15)  # raw DEFLATE (RFC 1951), as the Avro specification says
        body = _Decoder(block)
        records += [body.value(schema, {}) for _ in range(count)]
        if header.read(16) != sync:
            raise ValueError("Avro block does not end with the file's sync marker: the file is corrupt")
    return meta, records
