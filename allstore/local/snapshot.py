"""Keep moto's in-memory state across restarts: tables' items, buckets' objects, functions' environments
and SSM parameters.

moto holds everything in memory, so the runner saves what the store needs into the state directory
(periodically and at shutdown) and loads it into the freshly provisioned resources on the next
start. The search and Personalize servers persist themselves. A snapshot is written beside the
previous one and swapped in whole, so a crash mid-write never leaves half a snapshot.

An SSM parameter is restored as a CloudFormation stack update treats it: the value written since
(by a notebook) is kept unless the template's value for it changed, which then wins.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from moto.dynamodb.models import dynamodb_backends

from allstore.local.aws import ACCOUNT_ID, REGION, AwsClients
from allstore.local.provision import StackProvisioner
from allstore.state_dir import fsync_directory, fsync_tree

log = logging.getLogger(__name__)


class Snapshot:
    """The snapshot in `<state_dir>/snapshot`, one file per resource, by logical id."""

    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / "snapshot"
        self._saving = threading.Lock()  # a periodic save and the shutdown save never interleave

    def exists(self) -> bool:
        self._recover()
        return (self.directory / "complete").is_file()

    def _recover(self) -> None:
        """A crash between the two renames of a save leaves only the previous snapshot: put it back."""
        previous = self.directory.with_name("snapshot.old")
        if not self.directory.exists() and (previous / "complete").is_file():
            previous.rename(self.directory)

    def save(self, provisioner: StackProvisioner, clients: AwsClients) -> None:
        with self._saving:
            self._save(provisioner, clients)

    def _save(self, provisioner: StackProvisioner, clients: AwsClients) -> None:
        started = time.monotonic()
        staging = self.directory.with_name("snapshot.new")
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "tables").mkdir(parents=True)
        (staging / "buckets").mkdir()
        functions: dict[str, dict[str, Any]] = {}
        for logical_id, resource in provisioner.resource_definitions.items():
            provisioned = provisioner.resources.get(logical_id)
            if provisioned is None or not provisioned.created:
                continue
            if resource["Type"] == "AWS::DynamoDB::Table":
                _save_table(provisioned.ref, staging / "tables" / f"{logical_id}.jsonl")
            elif resource["Type"] == "AWS::S3::Bucket":
                _save_bucket(clients, provisioned.ref, staging / "buckets" / logical_id)
        for logical_id, spec in provisioner.functions.items():
            configuration = clients("lambda").get_function_configuration(FunctionName=spec.name)
            variables = configuration.get("Environment", {}).get("Variables", {})
            # Only what changed since provisioning: endpoints are re-derived at each start.
            functions[logical_id] = {
                "set": {
                    name: value for name, value in variables.items() if spec.environment.get(name) != value
                },
                "removed": sorted(set(spec.environment) - set(variables)),
            }
        (staging / "functions.json").write_text(json.dumps(functions, indent=1), encoding="utf-8")
        parameters = {
            logical_id: {
                "template": template_value,
                "value": clients("ssm").get_parameter(Name=provisioner.resources[logical_id].ref)[
                    "Parameter"
                ]["Value"],
            }
            for logical_id, template_value in provisioner.parameter_values.items()
        }
        (staging / "parameters.json").write_text(json.dumps(parameters, indent=1), encoding="utf-8")
        (staging / "complete").write_text(
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), encoding="utf-8"
        )
        fsync_tree(staging)  # on disk before it replaces the previous snapshot
        self._recover()
        previous = self.directory.with_name("snapshot.old")
        shutil.rmtree(previous, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(previous)
        staging.rename(self.directory)
        fsync_directory(self.directory.parent)
        shutil.rmtree(previous, ignore_errors=True)
        log.info("state saved in %.1f s", time.monotonic() - started)

    def restore(self, provisioner: StackProvisioner, clients: AwsClients) -> None:
        """Load the snapshot into the provisioned resources (same logical ids; others are skipped)."""
        for logical_id, provisioned in provisioner.resources.items():
            resource_type = provisioner.resource_definitions[logical_id]["Type"]
            if resource_type == "AWS::DynamoDB::Table":
                path = self.directory / "tables" / f"{logical_id}.jsonl"
                if path.is_file():
                    _restore_table(provisioned.ref, path)
            elif resource_type == "AWS::S3::Bucket":
                folder = self.directory / "buckets" / logical_id
                if folder.is_dir():
                    _restore_bucket(clients, provisioned.ref, folder)
        saved = json.loads((self.directory / "functions.json").read_text(encoding="utf-8"))
        for logical_id, changes in saved.items():
            spec = provisioner.functions.get(logical_id)
            if spec is None or not (changes["set"] or changes["removed"]):
                continue
            variables = {**spec.environment, **changes["set"]}
            for name in changes["removed"]:
                variables.pop(name, None)
            clients("lambda").update_function_configuration(
                FunctionName=spec.name, Environment={"Variables": variables}
            )
        self._restore_parameters(provisioner, clients)

    def _restore_parameters(self, provisioner: StackProvisioner, clients: AwsClients) -> None:
        path = self.directory / "parameters.json"
        saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        for logical_id, entry in saved.items():
            template_value = provisioner.parameter_values.get(logical_id)
            if (
                template_value is None
                or template_value != entry["template"]
                or entry["value"] == template_value
            ):
                continue  # gone, or the template changed it (a stack update would too), or nothing to keep
            clients("ssm").put_parameter(
                Name=provisioner.resources[logical_id].ref, Value=entry["value"], Overwrite=True
            )


def _dynamodb_backend() -> Any:
    """moto's in-process DynamoDB state.

    Tables are read and written here directly rather than through Scan/BatchWriteItem: moto's wire
    (de)serialisation costs milliseconds per item, which made saving and restoring thousands of
    products take most of a minute. moto runs in this process (MotoServer), so this is the
    same state its server answers from.
    """
    return dynamodb_backends[ACCOUNT_ID][REGION]


def _wire_json(value: Any) -> str:
    # Binary attributes travel base64-encoded, as on the wire.
    return json.dumps(
        value, default=lambda raw: base64.b64encode(raw).decode() if isinstance(raw, bytes) else str(raw)
    )


def _save_table(table: str, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for item in _dynamodb_backend().get_table(table).all_items():
            out.write(
                _wire_json({name: value.to_regular_json() for name, value in item.attrs.items()}) + "\n"
            )


def _restore_table(table: str, path: Path) -> None:
    """Put the saved items back without stream records: they are not new writes (search has them)."""
    backend = _dynamodb_backend()
    target = backend.get_table(table)
    stream, target.stream_shard = target.stream_shard, None
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    backend.put_item(table, json.loads(line))
    finally:
        target.stream_shard = stream


def _save_bucket(clients: AwsClients, bucket: str, folder: Path) -> None:
    s3 = clients("s3")
    (folder / "objects").mkdir(parents=True)
    count = 0
    with open(folder / "index.jsonl", "w", encoding="utf-8") as index:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                response = s3.get_object(Bucket=bucket, Key=entry["Key"])
                # Objects are numbered, not named by key: keys may hold characters or "/" endings no file can.
                (folder / "objects" / str(count)).write_bytes(response["Body"].read())
                meta = {"Key": entry["Key"], "File": str(count), "ContentType": response.get("ContentType")}
                index.write(json.dumps(meta) + "\n")
                count += 1


def _restore_bucket(clients: AwsClients, bucket: str, folder: Path) -> None:
    s3 = clients("s3")
    index = folder / "index.jsonl"
    if not index.is_file():
        return
    for line in index.read_text(encoding="utf-8").splitlines():
        meta = json.loads(line)
        body = (folder / "objects" / meta["File"]).read_bytes()
        extra = {"ContentType": meta["ContentType"]} if meta.get("ContentType") else {}
        s3.put_object(Bucket=bucket, Key=meta["Key"], Body=body, **extra)
