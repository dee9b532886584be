"""Downloading the real datasets the original demo used, resumably and with checksums.

The files are big (hundreds of MB) and the hosts are old academic and demo servers, so a download
must survive a dropped connection (HTTP Range resume from the `.part` file), prove what it got
(SHA-256, recorded in `SHA256SUMS` beside the files in `sha256sum` format and verified on every
later run), and say plainly which host did not answer. Hosts are tried in order: the McAuley lab
data has moved between several addresses over the years.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

DEMO_BUCKET = ("https://public-personalize-demo-assets-us-east-1.s3.amazonaws.com/data/",)
UCSD_2018 = (
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/",
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/",
    "https://jmcauley.ucsd.edu/data/amazon_v2/",
)
# Where fetched datasets live by default; `allstore local up --data <name>` looks here too.
DATASETS_DIR = Path(os.environ.get("ALLSTORE_DATASETS") or Path.home() / ".cache" / "allstore" / "datasets")
UCSD_PREFIX = "ucsd2018/"
CHECKSUMS_FILE = "SHA256SUMS"
PART_SUFFIX = ".part"
CHUNK_BYTES = 1 << 16  # also the most a dropped connection can lose
TIMEOUT_SECONDS = (10, 60)  # connect, read
ATTEMPTS_PER_HOST = 3  # a dropped connection resumes from where it stopped, this many times


@dataclass(frozen=True)
class RemoteFile:
    path: str  # relative to each of the dataset's hosts
    sha256: str | None = None  # known digest, when published

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    hosts: tuple[str, ...]
    files: tuple[RemoteFile, ...]


DATASETS = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "grocery",
            "Grocery & Gourmet Food 5-core reviews, product metadata and demo users (original demo bucket)",
            DEMO_BUCKET,
            (
                RemoteFile("Grocery_and_Gourmet_Food_5.json.gz"),
                RemoteFile("meta_Grocery_and_Gourmet_Food_5.01.json.gz"),
                RemoteFile("users_Grocery_and_Gourmet_Food.json"),
            ),
        ),
        Dataset(
            "clothing",
            "Clothing, Shoes & Jewelry 5-core reviews and product metadata (original demo bucket)",
            DEMO_BUCKET,
            (
                RemoteFile("Clothing_Shoes_and_Jewelry_5.json.gz"),
                RemoteFile("meta_Clothing_Shoes_and_Jewelry_5.01.json.gz"),
            ),
        ),
        Dataset(
            "sports",
            "Sports & Outdoors interactions CSV, items with metadata and demo users (original demo bucket)",
            DEMO_BUCKET,
            (
                RemoteFile("Sports_and_Outdoors_Interactions-CSV.csv"),
                RemoteFile("items_w_Metadata.csv"),
                RemoteFile("users_Sports_and_Outdoors.json"),
            ),
        ),
    )
}


def dataset(name: str) -> Dataset:
    """A named dataset, or `ucsd2018/<Category>` for any category of the UCSD 2018 release."""
    if name in DATASETS:
        return DATASETS[name]
    if name.startswith(UCSD_PREFIX) and name[len(UCSD_PREFIX) :].replace("_", "").isalnum():
        category = name[len(UCSD_PREFIX) :]
        return Dataset(
            name,
            f"UCSD Amazon reviews 2018: {category} 5-core reviews and product metadata (McAuley lab)",
            UCSD_2018,
            (
                RemoteFile(f"categoryFilesSmall/{category}_5.json.gz"),
                RemoteFile(f"metaFiles2/meta_{category}.json.gz"),
            ),
        )
    known = ", ".join([*DATASETS, f"{UCSD_PREFIX}<Category> (e.g. {UCSD_PREFIX}Gift_Cards)"])
    raise FetchError(f"unknown dataset {name!r}; known: {known}")


class FetchError(Exception):
    """A download that could not be completed or verified; the message says which and why."""


# progress(file name, bytes done, total bytes or None); called as chunks arrive.
Progress = Callable[[str, int, int | None], None]


def fetch(
    data: Dataset,
    dest: str | os.PathLike,
    base_url: str | None = None,
    progress: Progress | None = None,
    session: requests.Session | None = None,
) -> list[Path]:
    """Download every file of `data` into `dest` (resuming, verifying); returns the file paths.

    `base_url` replaces the dataset's hosts (a mirror, or a test server).
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    hosts = (base_url,) if base_url else data.hosts
    session = session or requests.Session()
    checksums = _read_checksums(dest)
    paths = []
    for remote in data.files:
        target = dest / remote.name
        expected = remote.sha256 or checksums.get(remote.name)
        if target.exists() and expected:
            if _sha256_of(target) == expected:
                paths.append(target)
                continue
            target.unlink()  # damaged or replaced since it was recorded: fetch it again
        if target.exists():
            checksums[remote.name] = _sha256_of(target)  # downloaded before checksums were kept
        else:
            digest = _download(session, hosts, remote, target, progress)
            if remote.sha256 and digest != remote.sha256:
                target.unlink()
                raise FetchError(
                    f"{remote.name}: SHA-256 {digest} does not match the published {remote.sha256}"
                )
            checksums[remote.name] = digest
        _write_checksums(dest, checksums)
        paths.append(target)
    return paths


def _download(
    session: requests.Session,
    hosts: tuple[str, ...],
    remote: RemoteFile,
    target: Path,
    progress: Progress | None,
) -> str:
    """Fetch one file from the first host that serves it; returns its SHA-256."""
    failures = []
    for host in hosts:
        url = host.rstrip("/") + "/" + remote.path
        for _ in range(ATTEMPTS_PER_HOST):
            try:
                digest = _download_from(session, url, target, progress)
            except _Interrupted as error:
                failures.append(f"{url}: {error}")
                continue  # resume from the .part file
            except (requests.RequestException, _Refused) as error:
                failures.append(f"{url}: {_reason(error)}")
                break  # this host will not serve it: try the next one
            target.with_name(target.name + PART_SUFFIX).replace(target)
            return digest
    raise FetchError(f"could not download {remote.name}:\n  " + "\n  ".join(failures))


class _Interrupted(Exception):
    """The connection dropped mid-file; the bytes so far are kept for a resume."""


class _Refused(Exception):
    """The host answered, but not with the file (e.g. 403, 404)."""


def _reason(error: Exception) -> str:
    if isinstance(error, requests.ConnectionError):
        return "the host did not answer (connection failed)"
    if isinstance(error, requests.Timeout):
        return "the host did not answer in time"
    return str(error)


def _download_from(session: requests.Session, url: str, target: Path, progress: Progress | None) -> str:
    part = target.with_name(target.name + PART_SUFFIX)
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with session.get(url, headers=headers, stream=True, timeout=TIMEOUT_SECONDS) as response:
        if response.status_code == 416 and have:  # nothing past what we have: the .part is whole
            total = _total_from_content_range(response.headers.get("Content-Range", ""))
            if total == have:
                return _sha256_of(part)
            part.unlink()
            raise _Interrupted("the partial file does not match the server's; starting again")
        if response.status_code not in (200, 206):
            raise _Refused(f"HTTP {response.status_code} {response.reason}")
        resumed = response.status_code == 206
        if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            raise _Refused(f"unexpected Content-Range {response.headers.get('Content-Range')!r}")
        length = response.headers.get("Content-Length")
        total = (int(length) + (have if resumed else 0)) if length and length.isdigit() else None
        digest = hashlib.sha256()
        done = 0
        if resumed:
            done = _hash_into(digest, part)
        with open(part, "ab" if resumed else "wb") as out:
            try:
                for chunk in response.iter_content(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(target.name, done, total)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                raise _Interrupted(f"connection dropped after {done:,} bytes") from error
    if total is not None and done != total:
        raise _Interrupted(f"got {done:,} of {total:,} bytes")
    return digest.hexdigest()


def _total_from_content_range(value: str) -> int | None:
    """`bytes */1234` or `bytes 0-9/1234` -> 1234."""
    total = value.rpartition("/")[2]
    return int(total) if total.isdigit() else None


def _hash_into(digest: hashlib._Hash, path: Path) -> int:
    size = 0
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    _hash_into(digest, path)
    return digest.hexdigest()


def _read_checksums(dest: Path) -> dict[str, str]:
    path = dest / CHECKSUMS_FILE
    if not path.exists():
        return {}
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            sums[name.strip()] = digest.strip()
    return sums


def _write_checksums(dest: Path, sums: dict[str, str]) -> None:
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    (dest / CHECKSUMS_FILE).write_text(lines, encoding="utf-8")
