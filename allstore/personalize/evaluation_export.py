"""A round trip with the real service: the personalize protocol's split written out in the forms
Amazon Personalize takes, and its batch-inference output read back and scored with the same code
as the local models (`evaluation.ranked_metrics`), so real Personalize and the local recipes sit in
one table on the same held-out users.

`export_split` writes, for one split seed:
- `interactions.csv`: the Interactions dataset to import (USER_ID, ITEM_ID, TIMESTAMP, plus
  EVENT_TYPE / EVENT_VALUE when the data has them): the training users' interactions and the
  held-out users' input (the oldest 90%) — the service knows a user's history only from its data;
- `users.json` (USER_PERSONALIZATION and Popularity-Count), `items.json` (RELATED_ITEMS: each
  held-out user's newest input item) and `ranking.json` (PERSONALIZED_RANKING: each user with a
  candidate list, `evaluation_candidates`' rule — the lists the local re-rankers are scored on):
  batch-inference inputs;
- `ground_truth.json`: each held-out user's input's newest item and relevant items;
- `manifest.json`: protocol, seed, the data's hash, counts and the file names.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from allstore.personalize.evaluation import SOLUTION_METRIC_CUTOFFS, ranked_metrics
from allstore.personalize.evaluation_candidates import candidate_lists
from allstore.personalize.evaluation_splits import personalize_split_with_users
from allstore.personalize.recipes.base import TrainingData
from allstore.personalize.recipes.validation import PerUser

MANIFEST = "manifest.json"
GROUND_TRUTH = "ground_truth.json"


def data_hash(data: TrainingData) -> str:
    """SHA-256 of the interactions as parsed (users, items, timestamps in file order), so the same
    data in another format or file name matches and any other data does not."""
    digest = hashlib.sha256()
    for column in (data.users[data.user_codes], data.items[data.item_codes]):
        digest.update("\n".join(column.tolist()).encode())
        digest.update(b"\0")
    digest.update(np.ascontiguousarray(data.timestamps, dtype=np.int64).tobytes())
    return digest.hexdigest()


def export_split(data: TrainingData, directory: Path, dataset: str, seed: int = 0) -> dict:
    """Write the split's files into `directory` (made if missing); returns the manifest."""
    train_rows, inputs, relevant, users = personalize_split_with_users(data, seed)
    directory.mkdir(parents=True, exist_ok=True)
    held_out_inputs = np.flatnonzero(np.isin(data.user_codes, users))
    rows = np.concatenate([train_rows, _input_rows(data, held_out_inputs, inputs, users)])
    rows.sort()
    extra_columns = [
        name
        for name, present in (
            ("EVENT_TYPE", bool((data.event_types != "").any())),
            ("EVENT_VALUE", bool(np.isfinite(data.event_values).any())),
        )
        if present
    ]
    with (directory / "interactions.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["USER_ID", "ITEM_ID", "TIMESTAMP", *extra_columns])
        for row in rows:
            extra = [
                data.event_types[row] if name == "EVENT_TYPE" else data.event_values[row]
                for name in extra_columns
            ]
            writer.writerow(
                [
                    data.users[data.user_codes[row]],
                    data.items[data.item_codes[row]],
                    int(data.timestamps[row]),
                    *extra,
                ]
            )
    lists = candidate_lists(len(data.items), inputs, relevant, seed)
    truth, user_lines, item_lines, ranking_lines = [], [], [], []
    for user, history, wanted, candidates in zip(users, inputs, relevant, lists, strict=True):
        user_id, newest = str(data.users[user]), str(data.items[history[-1]])
        truth.append({"userId": user_id, "lastItem": newest, "relevant": data.items[wanted].tolist()})
        user_lines.append({"userId": user_id})
        item_lines.append({"itemId": newest})
        ranking_lines.append({"userId": user_id, "itemList": data.items[candidates].tolist()})
    files = {
        "users.json": user_lines,
        "items.json": list({line["itemId"]: line for line in item_lines}.values()),
        "ranking.json": ranking_lines,
        GROUND_TRUTH: truth,
    }
    for name, lines in files.items():
        (directory / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    manifest = {
        "protocol": "personalize",
        "seed": seed,
        "dataset": dataset,
        "data_sha256": data_hash(data),
        "users": len(data.users),
        "items": len(data.items),
        "interactions": len(rows),
        "held_out_users": len(users),
        "num_results": max(SOLUTION_METRIC_CUTOFFS),
        "files": ["interactions.csv", *files],
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _input_rows(
    data: TrainingData, rows: np.ndarray, inputs: Sequence[np.ndarray], users: np.ndarray
) -> np.ndarray:
    """The held-out users' input rows (their oldest interactions, as many as their input has)."""
    length = dict(zip(users.tolist(), (len(history) for history in inputs), strict=True))
    order = rows[np.lexsort((data.timestamps[rows], data.user_codes[rows]))]
    keep, seen = [], dict.fromkeys(length, 0)
    for row in order:
        user = int(data.user_codes[row])
        if user in length and seen[user] < length[user]:
            keep.append(row)
            seen[user] += 1
    return np.array(keep, dtype=np.int64)


def read_manifest(directory: Path, data: TrainingData) -> dict:
    """The export's manifest; ValueError when it is missing or was made from other data."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{directory} has no readable {MANIFEST} (made by --export-split): {error}"
        ) from None
    if manifest.get("data_sha256") != data_hash(data):
        raise ValueError(
            f"{directory / MANIFEST} was exported from other data (hash {manifest.get('data_sha256')}); "
            "score batch output with the interactions it was exported from"
        )
    return manifest


def score_batch_output(data: TrainingData, directory: Path, outputs: Sequence[Path]) -> tuple[PerUser, str]:
    """(each held-out user's metrics, the task) from Amazon Personalize batch-inference output files
    (JSON lines `{"input": {"userId"|"itemId", ...}, "output": {"recommendedItems": [...]}, "error"}`),
    in the split's user order. The task is "ranking" when the inputs carry an `itemList` (the
    output of `ranking.json`: a re-ranking of the candidate lists), else "catalogue". A user whose
    line is missing or failed has no relevant item ranked. ValueError for lines that are not
    batch-inference output."""
    read_manifest(directory, data)
    truth = [json.loads(line) for line in (directory / GROUND_TRUTH).read_text().splitlines() if line]
    by_user: dict[str, list[str]] = {}
    by_item: dict[str, list[str]] = {}
    task = "catalogue"
    for path in outputs:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                query, output = record["input"], record.get("output") or {}
                recommended = [str(item) for item in output.get("recommendedItems", [])]
            except (ValueError, KeyError, TypeError, AttributeError):
                raise ValueError(
                    f"{path}:{number} is not Amazon Personalize batch-inference output"
                ) from None
            if "itemList" in query:
                task = "ranking"
            if "userId" in query:
                by_user[str(query["userId"])] = recommended
            elif "itemId" in query:
                by_item[str(query["itemId"])] = recommended
            else:
                raise ValueError(f"{path}:{number}: input has neither userId nor itemId")
    code = {user: index for index, user in enumerate(data.users.tolist())}
    ranks, rows, n_relevant = [], [], []
    for index, entry in enumerate(truth):
        recommended = by_user.get(entry["userId"], by_item.get(entry["lastItem"], []))
        position = {item: rank for rank, item in enumerate(recommended, 1)}
        ranks += [float(position.get(item, np.inf)) for item in entry["relevant"]]
        rows += [index] * len(entry["relevant"])
        n_relevant.append(len(entry["relevant"]))
    metrics = ranked_metrics(np.array(ranks), np.array(rows, dtype=np.int64), np.array(n_relevant))
    users = np.array([code[entry["userId"]] for entry in truth], dtype=np.int64)
    return PerUser(users, metrics, 0.0, 0.0), task
