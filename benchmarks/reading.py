"""Benchmark reading interaction files: CSV and UCSD review JSON lines at a given size (issue 23).

A child process generates the synthetic store once (as benchmarks/scaling.py does, and sharing
its `--cache` files), then writes its events as a Personalize-style CSV
(USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE) and as UCSD-2018-style review JSON lines (the fields and
field order of the 5-core files: overall, verified, reviewTime, reviewerID, asin, style,
reviewerName, reviewText, summary, unixReviewTime; about 300 bytes a line, as the real ones), each
optionally gzipped. Each measurement runs in a fresh child: `read_interactions` (what `allstore
evaluate` starts with) and `inspect_path` (the whole `allstore data inspect`), with its CPU
seconds (user + system, every thread and the JSON reader's worker processes), wall seconds and
peak RSS (the process's, and the largest worker's), and the load average before and after, since
the machine may be shared.

    .venv/bin/python benchmarks/reading.py [--rows 25M] [--items 300k] [--formats csv,jsonl]
        [--measure read,inspect] [--gzip] [--dir DIR] [--cache DIR] [--keep]

Bar (issue 23): `allstore data inspect` and `allstore evaluate` read a 25M-row CSV in under a
minute, and the UCSD JSON-lines files at comparable speed. The files take about 1.1 GB (CSV) and
7.5 GB (JSON lines) at 25M rows: check `df -h` and `free -g` first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scaling

WRITE_ROWS = 1_000_000  # rows per batch when writing JSON lines
SENTENCES = [
    "Works as described.",
    "Exactly what I needed for the trip, and it arrived two days early.",
    "Good value for the price.",
    "The quality is better than I expected; I would buy it again.",
    "Smaller than it looks in the pictures, but it does the job.",
    "My son loves it.",
    "It broke after a month of light use, which is disappointing.",
    "Great product, fast shipping, no complaints at all.",
    "Comfortable and well made, though the colour is a little darker than shown.",
    "I bought two of these as gifts and both were a hit.",
]
SUMMARIES = ["Five Stars", "Great", "Good value", "Not bad", "Disappointed", "Love it", "As described"]
STYLES = ['{"Size:": " Large"}', '{"Color:": " Black"}', '{"Size:": " Medium", "Color:": " Blue"}']
NAMES = ["Amazon Customer", "John S.", "Kindle Customer", "mary", "R. Lopez", "Dave"]


def write_jsonl(path: Path, json_path: Path, gzipped: bool) -> None:
    """The store's events as UCSD 2018 review lines, a batch of rows at a time."""
    rng = np.random.default_rng(23)
    with np.load(path) as columns:
        users, items = pa.array(columns["users"]), pa.array(columns["items"])
        user, item, timestamp = columns["user"], columns["item"], columns["timestamp"]
    sentences = pa.array([json.dumps(text) for text in SENTENCES])
    summaries = pa.array([f'"{text}"' for text in SUMMARIES])
    styles, names = pa.array(STYLES), pa.array([f'"{name}"' for name in NAMES])
    compression = "gzip" if gzipped else None
    with pa.output_stream(str(json_path), compression=compression) as out:
        for start in range(0, len(user), WRITE_ROWS):
            rows = slice(start, start + WRITE_ROWS)
            count = len(user[rows])
            days = timestamp[rows] // 86_400 * 86_400
            dates = days.astype("datetime64[s]").astype("datetime64[D]")
            months = dates.astype("datetime64[M]")
            month = (months.astype(np.int64) % 12 + 1).astype(str)
            day = ((dates - months).astype(np.int64) + 1).astype(str)
            year = (dates.astype("datetime64[Y]").astype(np.int64) + 1970).astype(str)
            review_time = np.char.add(np.char.add(np.char.zfill(month, 2), " "), np.char.add(day, ", "))
            text = pc.binary_join_element_wise(
                pc.take(sentences, pa.array(rng.integers(0, len(SENTENCES), count))),
                pc.take(sentences, pa.array(rng.integers(0, len(SENTENCES), count))),
                " ",
            )
            text = pc.replace_substring(text, '" "', " ")  # two JSON strings joined into one
            fields = [
                '{"overall": ',
                pa.array(rng.integers(1, 6, count).astype(str)),
                '.0, "verified": ',
                pa.array(np.where(rng.random(count) < 0.8, "true", "false")),
                ', "reviewTime": "',
                pa.array(np.char.add(review_time, year)),
                '", "reviewerID": "',
                pc.take(users, pa.array(user[rows])),
                '", "asin": "',
                pc.take(items, pa.array(item[rows])),
                '", "style": ',
                pc.take(styles, pa.array(rng.integers(0, len(STYLES), count))),
                ', "reviewerName": ',
                pc.take(names, pa.array(rng.integers(0, len(NAMES), count))),
                ', "reviewText": ',
                text,
                ', "summary": ',
                pc.take(summaries, pa.array(rng.integers(0, len(SUMMARIES), count))),
                ', "unixReviewTime": ',
                pa.array(days.astype(str)),
                "}\n",
            ]
            line = pc.binary_join_element_wise(
                *(pa.scalar(part) if isinstance(part, str) else part for part in fields), ""
            )
            offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)[
                line.offset : line.offset + len(line) + 1
            ]
            first, last = int(offsets[0]), int(offsets[-1])
            out.write(line.buffers()[2][first:last])


def measure(what: str, path: Path, format: str, results: multiprocessing.Queue) -> None:
    from allstore.data import diagnostics
    from allstore.data.interactions import read_interactions

    load = os.getloadavg()[0]
    cpu_started, started = _cpu_seconds(), time.perf_counter()
    if what == "read":
        rows = len(read_interactions(path, format))
    else:
        rows = diagnostics.inspect_path(path)["interactions"]
    wall = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_started
    peak, workers_peak = (resource.getrusage(who).ru_maxrss / 2**20 for who in _WHO)
    results.put((rows, cpu, wall, peak, workers_peak, load, os.getloadavg()[0]))


# This process and its (finished) children: the JSON-lines reader's worker processes.
_WHO = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)


def _cpu_seconds() -> float:
    return sum(usage.ru_utime + usage.ru_stime for usage in map(resource.getrusage, _WHO))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", default="25M", help="interactions (25M, 300k or a number)")
    parser.add_argument("--items", default="300k", help="catalogue size")
    parser.add_argument("--formats", default="csv,jsonl", help="csv, jsonl or both")
    parser.add_argument("--measure", default="read,inspect", help="read, inspect or both")
    parser.add_argument("--gzip", action="store_true", help="write the files gzipped")
    parser.add_argument("--dir", type=Path, help="write the files here (default: a temporary folder)")
    parser.add_argument("--cache", type=Path, help="keep the generated store here (as scaling.py --cache)")
    parser.add_argument("--keep", action="store_true", help="keep the written files (with --dir)")
    args = parser.parse_args()
    rows, items = scaling.count(args.rows), scaling.count(args.items)
    formats, measures = args.formats.split(","), args.measure.split(",")
    if set(formats) - {"csv", "jsonl"} or set(measures) - {"read", "inspect"}:
        parser.error("--formats takes csv,jsonl and --measure read,inspect")
    context = multiprocessing.get_context("spawn")
    temporary = tempfile.mkdtemp()
    try:
        folder = args.dir or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        cache = args.cache or Path(temporary)
        cache.mkdir(parents=True, exist_ok=True)
        store = cache / f"synthetic_{rows}_{items}.npz"
        if not store.exists():
            scaling.in_child(context, scaling.generate, rows, items, store)
        suffix = ".gz" if args.gzip else ""
        print(
            "| file | size | measured | rows | CPU s | wall s | peak RSS | workers' peak RSS "
            "| load average before / after |"
        )
        print("|---|---|---|---|---|---|---|---|---|", flush=True)
        for format in formats:
            path = folder / f"interactions_{rows}.{format}{suffix}"
            if not path.exists():
                if format == "csv":
                    scaling.in_child(context, _write_csv, store, path, args.gzip)
                else:
                    scaling.in_child(context, write_jsonl, store, path, args.gzip)
            for what in measures:
                results = context.Queue()
                scaling.in_child(context, measure, what, path, "csv" if format == "csv" else "ucsd", results)
                count, cpu, wall, peak, workers_peak, before, after = results.get()
                print(
                    f"| {path.name} | {path.stat().st_size / 1e9:.2f} GB | {what} | {count:,} | {cpu:.1f} "
                    f"| {wall:.1f} | {peak:.2f} GiB | {workers_peak:.2f} GiB | {before:.1f} / {after:.1f} |",
                    flush=True,
                )
            if not args.keep:
                path.unlink()
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _write_csv(store: Path, path: Path, gzipped: bool) -> None:
    if not gzipped:
        scaling.write_csv(store, path)
        return
    plain = path.with_suffix("")
    scaling.write_csv(store, plain)
    with open(plain, "rb") as source, pa.output_stream(str(path), compression="gzip") as out:
        while chunk := source.read(1 << 24):
            out.write(chunk)
    plain.unlink()


if __name__ == "__main__":
    main()
