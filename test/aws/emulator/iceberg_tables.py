"""Iceberg tables in the emulated Glue Data Catalog: what Glue does when CloudFormation creates an AWS::Glue::Table
with OpenTableFormatInput (a STAND-IN: moto's CreateTable only tags the table ICEBERG, and writes no metadata),
and reading a table's current snapshot as Athena does (catalog -> metadata_location -> manifest list ->
manifests -> Parquet data files)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from .avro import read_container

# Hive type names in a TableInput's columns -> Iceberg types, as Iceberg's own HiveSchemaUtil converts them
# (timestamp is Iceberg's timestamp without zone). Glue does not publish its mapping; this is the closest rule.
_HIVE_TO_ICEBERG = {
    "string": "string",
    "varchar": "string",
    "char": "string",
    "boolean": "boolean",
    "tinyint": "int",
    "smallint": "int",
    "int": "int",
    "integer": "int",
    "bigint": "long",
    "float": "float",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp",
    "binary": "binary",
}
_TRANSFORM = re.compile(r"^(identity|year|month|day|hour|void|bucket\[\d+\]|truncate\[\d+\])$")
FIRST_PARTITION_FIELD_ID = 1000  # Iceberg's PartitionSpec numbering starts partition field ids here


class IcebergTableError(ValueError):
    """A table definition Glue would refuse (the message says what and how to fix it)."""


def iceberg_type(hive_type: str) -> str:
    t = hive_type.strip().lower()
    m = re.fullmatch(r"decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)", t)
    if m:
        return f"decimal({m.group(1)}, {m.group(2)})"
    base = re.sub(r"\(.*\)$", "", t)
    if base not in _HIVE_TO_ICEBERG:
        raise IcebergTableError(
            f"column type {hive_type!r} has no Iceberg equivalent here; use one of {sorted(_HIVE_TO_ICEBERG)} or "
            f"decimal(p,s), or define the column in OpenTableFormatInput.IcebergInput.IcebergTableInput.Schema"
        )
    return _HIVE_TO_ICEBERG[base]


def _schema_from_iceberg_input(schema: dict) -> dict:
    fields = [
        {"id": int(f["Id"]), "name": f["Name"], "required": bool(f["Required"]), "type": f["Type"]}
        | ({"doc": f["Doc"]} if "Doc" in f else {})
        for f in schema["Fields"]
    ]
    out = {"type": "struct", "schema-id": int(schema.get("SchemaId", 0)), "fields": fields}
    if schema.get("IdentifierFieldIds"):
        out["identifier-field-ids"] = [int(i) for i in schema["IdentifierFieldIds"]]
    return out


def _schema_from_table_input(table_input: dict) -> dict:
    columns = table_input.get("StorageDescriptor", {}).get("Columns", []) + table_input.get("PartitionKeys", [])
    fields = [
        {"id": i, "name": c["Name"], "required": False, "type": iceberg_type(c["Type"])}
        for i, c in enumerate(columns, start=1)
    ]
    return {"type": "struct", "schema-id": 0, "fields": fields}


def _partition_spec(spec: dict | None, schema: dict, table_input: dict) -> dict:
    ids = {f["name"]: f["id"] for f in schema["fields"]}
    known = set(ids.values())
    fields = []
    if spec is not None:
        for i, f in enumerate(spec.get("Fields", [])):
            if int(f["SourceId"]) not in known or not _TRANSFORM.match(f["Transform"]):
                raise IcebergTableError(
                    f"partition field {f} needs a SourceId among the schema's field ids {sorted(known)} and a "
                    f"transform such as identity, month, bucket[16] or truncate[4]"
                )
            field_id = int(f.get("FieldId", FIRST_PARTITION_FIELD_ID + i))
            fields.append(
                {"name": f["Name"], "transform": f["Transform"], "source-id": int(f["SourceId"]), "field-id": field_id}
            )
    else:  # Hive-style PartitionKeys: identity partitions on those columns
        for i, key in enumerate(table_input.get("PartitionKeys", [])):
            fields.append(
                {
                    "name": key["Name"],
                    "transform": "identity",
                    "source-id": ids[key["Name"]],
                    "field-id": FIRST_PARTITION_FIELD_ID + i,
                }
            )
    return {"spec-id": int((spec or {}).get("SpecId", 0)), "fields": fields}


def new_table_metadata(table_input: dict, open_table_format_input: dict) -> dict:
    """The metadata JSON of an empty Iceberg table (format v1/v2 as IcebergInput.Version says, default 2), from
    IcebergInput.IcebergTableInput when given (its schema, partition spec, properties, location), else from the
    TableInput's columns and location."""
    iceberg = open_table_format_input.get("IcebergInput")
    if not iceberg or iceberg.get("MetadataOperation") != "CREATE":
        raise IcebergTableError(
            f"OpenTableFormatInput {open_table_format_input} needs IcebergInput with MetadataOperation CREATE"
        )
    version = int(iceberg.get("Version", "2"))
    if version not in (1, 2):
        raise IcebergTableError(f"IcebergInput.Version {version!r}: the emulation creates format versions 1 and 2")
    detail = iceberg.get("IcebergTableInput")
    location = (detail or {}).get("Location") or table_input.get("StorageDescriptor", {}).get("Location")
    if not location or not location.startswith("s3://"):
        raise IcebergTableError(f"an Iceberg table needs an s3:// location; got {location!r}")
    schema = _schema_from_iceberg_input(detail["Schema"]) if detail else _schema_from_table_input(table_input)
    spec = _partition_spec((detail or {}).get("PartitionSpec"), schema, table_input)
    field_ids = [f["field-id"] for f in spec["fields"]]
    return {
        "format-version": version,
        "table-uuid": str(uuid.uuid4()),
        "location": location.rstrip("/"),
        "last-sequence-number": 0,
        "last-updated-ms": int(time.time() * 1000),
        "last-column-id": max([f["id"] for f in schema["fields"]], default=0),
        "current-schema-id": schema["schema-id"],
        "schemas": [schema],
        "default-spec-id": spec["spec-id"],
        "partition-specs": [spec],
        "last-partition-id": max(field_ids, default=FIRST_PARTITION_FIELD_ID - 1),
        "default-sort-order-id": 0,
        "sort-orders": [{"order-id": 0, "fields": []}],
        "properties": dict((detail or {}).get("Properties", {})),
        "current-snapshot-id": -1,
        "refs": {},
        "snapshots": [],
        "statistics": [],
        "partition-statistics": [],
        "snapshot-log": [],
        "metadata-log": [],
    }


def split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def create_iceberg_table(glue: Any, s3: Any, database: str, table_input: dict, open_table_format_input: dict) -> str:
    """STAND-IN for Glue's CreateTable with OpenTableFormatInput: writes the first metadata file under the table's
    location (metadata/00000-<uuid>.metadata.json, Iceberg's naming) and registers the table as Glue does:
    table_type ICEBERG and metadata_location in its Parameters. Returns the metadata location."""
    metadata = new_table_metadata(table_input, open_table_format_input)
    metadata_location = f"{metadata['location']}/metadata/00000-{uuid.uuid4()}.metadata.json"
    bucket, key = split_s3(metadata_location)
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(metadata, indent=1).encode())
    parameters = {**table_input.get("Parameters", {}), "table_type": "ICEBERG", "metadata_location": metadata_location}
    glue.create_table(
        DatabaseName=database,
        TableInput={**table_input, "TableType": "EXTERNAL_TABLE", "Parameters": parameters},
    )
    return metadata_location


# ---- reading the current snapshot ------------------------------------------------------------------------------

DATA_CONTENT, DELETED_STATUS = 0, 2  # manifest entry content 0 = data file; status 2 = deleted in that snapshot


def read_metadata(s3: Any, metadata_location: str) -> dict:
    bucket, key = split_s3(metadata_location)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def current_data_files(s3: Any, metadata: dict) -> list[str]:
    """The data files of the current snapshot (none before the first commit). Delete files are refused: the
    contract's tables are copy-on-write, so a snapshot with delete files means a writer ignored that."""
    snapshot_id = metadata.get("current-snapshot-id")
    if snapshot_id in (None, -1):
        return []
    snapshot = next(s for s in metadata["snapshots"] if s["snapshot-id"] == snapshot_id)
    bucket, key = split_s3(snapshot["manifest-list"])
    _, manifests = read_container(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    files = []
    for manifest in manifests:
        if manifest.get("content", 0) != DATA_CONTENT:
            raise AssertionError(
                f"snapshot {snapshot_id} has a delete manifest {manifest['manifest_path']}: the table is not "
                f"copy-on-write (write.delete.mode/update.mode/merge.mode = copy-on-write)"
            )
        mbucket, mkey = split_s3(manifest["manifest_path"])
        _, entries = read_container(s3.get_object(Bucket=mbucket, Key=mkey)["Body"].read())
        files += [e["data_file"]["file_path"] for e in entries if e["status"] != DELETED_STATUS]
    return sorted(files)


def read_current_rows(s3: Any, metadata_location: str) -> list[dict]:
    """The rows of the current snapshot, in the current schema's column order (older files lack added columns:
    they read as null, as Iceberg's schema evolution says)."""
    import io as _io

    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = read_metadata(s3, metadata_location)
    schema = next(s for s in metadata["schemas"] if s["schema-id"] == metadata["current-schema-id"])
    names = [f["name"] for f in schema["fields"]]
    tables = []
    for uri in current_data_files(s3, metadata):
        bucket, key = split_s3(uri)
        table = pq.read_table(_io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        for name in names:
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows))
        tables.append(table.select(names))
    if not tables:
        return []
    return pa.concat_tables(tables, promote_options="default").to_pylist()
