"""Files a job reads or writes: S3 objects (s3://bucket/key, or every object under s3://bucket/prefix/)
or, for a laptop without S3, local files (file:// or a plain path, a file or a folder).

S3 is reached with boto3, which honours AWS_ENDPOINT_URL_S3 (the local moto S3 when running locally).
A missing object, prefix or bucket fails the job with a reason the user can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import boto3

from allstore.personalize.errors import JobFailed


def _local(location: str) -> Path:
    return Path(unquote(urlparse(location).path) if location.startswith("file://") else location)


def _bucket_key(location: str) -> tuple[str, str]:
    parsed = urlparse(location)
    return parsed.netloc, parsed.path.lstrip("/")


def read_texts(location: str, suffix: str = "") -> Iterator[tuple[str, str]]:
    """(file name, text) of the file at `location`, or of every file ending in `suffix` under it."""
    if location.startswith("s3://"):
        yield from _read_s3(location, suffix)
        return
    path = _local(location)
    if path.is_dir():
        files = sorted(file for file in path.glob(f"*{suffix}") if file.is_file())
        if not files:
            raise JobFailed(f"no {suffix or 'files'} files in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise JobFailed(f"{location} does not exist")
    for file in files:
        yield file.name, file.read_text(encoding="utf-8-sig")


def _read_s3(location: str, suffix: str) -> Iterator[tuple[str, str]]:
    bucket, key = _bucket_key(location)
    s3 = boto3.client("s3")
    try:
        if key and not key.endswith("/"):
            keys = [key]
        else:
            listing = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
            keys = [item["Key"] for page in listing for item in page.get("Contents", [])]
            keys = [name for name in keys if name.endswith(suffix) and not name.endswith("/")]
            if not keys:
                raise JobFailed(f"no {suffix or ''} objects under {location}".replace("  ", " "))
        for name in keys:
            body = s3.get_object(Bucket=bucket, Key=name)["Body"].read()
            yield name.rsplit("/", 1)[-1], body.decode("utf-8-sig")
    except s3.exceptions.NoSuchKey:
        raise JobFailed(f"{location} does not exist") from None
    except s3.exceptions.NoSuchBucket:
        raise JobFailed(f"bucket {bucket} does not exist") from None


def write_text(folder: str, name: str, text: str) -> str:
    """Write `text` as `name` in the output folder (s3://bucket/prefix/ or a local folder); its location."""
    if folder.startswith("s3://"):
        bucket, prefix = _bucket_key(folder)
        key = f"{prefix.rstrip('/')}/{name}" if prefix.strip("/") else name
        s3 = boto3.client("s3")
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        except s3.exceptions.NoSuchBucket:
            raise JobFailed(f"bucket {bucket} does not exist") from None
        return f"s3://{bucket}/{key}"
    path = _local(folder)
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_text(text, encoding="utf-8")
    return str(path / name)
