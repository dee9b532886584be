"""Where the local store's data comes from: `--data SPEC` → a folder of source files.

- `synthetic` (default), `small`, `large` or an item count (`2000`): the project's deterministic
  synthetic store, generated into the state directory on first run;
- a folder of real data: a product catalogue (UCSD metadata JSON lines or CSV, optionally gzipped),
  interactions (a Personalize CSV, or UCSD reviews which are converted to one), and optionally
  UCSD reviews (the product pages show each product's newest), demo users and an `images/` folder;
- the name of a dataset fetched with `allstore data fetch` (a folder under the datasets directory).

The files are what CloudFormation's parameters point at on AWS (ProductSource, UserSource,
InteractionSource, ReviewSource); the runner uploads them to local S3 and passes their s3:// URIs.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from allstore.data import synthetic
from allstore.data.fetch import DATASETS_DIR
from allstore.data.interactions import read_interactions

SIZES = {  # name → (items, interactions)
    "small": (500, 20_000),
    "synthetic": (synthetic.DEFAULT_ITEMS, synthetic.DEFAULT_INTERACTIONS),
    "default": (synthetic.DEFAULT_ITEMS, synthetic.DEFAULT_INTERACTIONS),
    "large": (20_000, 1_000_000),
}
INTERACTIONS_PER_ITEM = 40

_PRODUCT_NAMES = re.compile(
    r"^(products|items|meta_.*|.*metadata.*|.*catalog(ue)?.*)\.(json|jsonl|csv)(\.gz)?$", re.I
)
_INTERACTION_NAMES = re.compile(r"^(.*interactions.*\.csv|reviews.*\.json(l)?|[A-Z].*_5\.json)(\.gz)?$", re.I)
_REVIEW_NAMES = re.compile(r"^(reviews.*\.json(l)?|[A-Z].*_5\.json)(\.gz)?$", re.I)
# The store's interactions schema (allstore.local.personalize_bootstrap), field by field.
IMPORT_HEADER = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE"
_USER_NAMES = re.compile(r"^users.*\.(json|jsonl|csv)(\.gz)?$", re.I)


class DataError(ValueError):
    """The --data spec names nothing usable."""


@dataclass(frozen=True)
class DataFolder:
    """The files the store is loaded from."""

    products: Path
    interactions: Path  # always a Personalize CSV (what the dataset import reads)
    users: Path | None
    images: Path | None
    reviews: Path | None = None  # UCSD reviews JSON lines: their words (reviewText, summary, ...)


def synthetic_size(spec: str) -> tuple[int, int] | None:
    """(items, interactions) for a synthetic spec, None when `spec` is not one."""
    if spec in SIZES:
        return SIZES[spec]
    if spec.isdigit() and int(spec) > 0:
        return int(spec), int(spec) * INTERACTIONS_PER_ITEM
    return None


def prepare(spec: str, state_dir: Path, status: Callable[[str], None] = lambda _: None) -> DataFolder:
    """Resolve `spec`, generating or converting into `state_dir/data` when needed."""
    size = synthetic_size(spec)
    target = state_dir / "data"
    if size is not None:
        if not (target / synthetic.INTERACTIONS_FILE).is_file():
            items, interactions = size
            status(f"Generating the synthetic store ({items:,} products, {interactions:,} interactions)")
            synthetic.write_store(synthetic.generate_store(items=items, interactions=interactions), target)
        return DataFolder(
            products=target / synthetic.PRODUCTS_FILE,
            interactions=target / synthetic.INTERACTIONS_FILE,
            users=target / synthetic.USERS_FILE,
            images=target / synthetic.IMAGES_DIR,
            reviews=target / synthetic.REVIEWS_FILE,
        )
    folder = real_data_folder(spec)
    assert folder is not None  # real_data_folder raises for anything else
    return _real_folder(folder.resolve(), target, status)


def real_data_folder(spec: str) -> Path | None:
    """The folder `spec` names (a path, or a fetched dataset), None for a synthetic size; DataError
    for anything else, so `local up` can refuse a bad --data before it starts anything."""
    if synthetic_size(spec) is not None:
        return None
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        folder = DATASETS_DIR / spec
    if not folder.is_dir():
        raise DataError(
            f"--data {spec!r} is neither a synthetic size ({', '.join(SIZES)} or an item count), "
            f"a folder, nor a dataset fetched into {DATASETS_DIR} (try `allstore data fetch`)"
        )
    return folder


def _find(folder: Path, pattern: re.Pattern[str]) -> Path | None:
    matches = sorted(path for path in folder.iterdir() if path.is_file() and pattern.match(path.name))
    return matches[0] if matches else None


def _real_folder(folder: Path, target: Path, status: Callable[[str], None]) -> DataFolder:
    products = _find(folder, _PRODUCT_NAMES)
    interactions = _find(folder, _INTERACTION_NAMES)
    if products is None or interactions is None:
        raise DataError(
            f"{folder} needs a product catalogue (products/items/meta_*.json[.gz] or .csv) and interactions "
            "(interactions*.csv, or UCSD reviews*.json[.gz] / <Category>_5.json[.gz])"
        )
    if not _is_import_ready(interactions):
        converted = target / "interactions.csv"
        if not converted.is_file():
            status(f"Converting {interactions.name} to a Personalize interactions CSV")
            _write_interactions_csv(interactions, converted)
        interactions = converted
    images = folder / "images"
    return DataFolder(
        products,
        interactions,
        _find(folder, _USER_NAMES),
        images if images.is_dir() else None,
        _find(folder, _REVIEW_NAMES),
    )


def _is_import_ready(interactions: Path) -> bool:
    """A CSV whose header is the store's interactions schema, in its order, is imported as it is;
    the import refuses any other header, as the service does, so every other file is converted."""
    if not interactions.name.lower().removesuffix(".gz").endswith(".csv"):
        return False
    with (gzip.open if interactions.suffix == ".gz" else open)(interactions, "rt", encoding="utf-8") as lines:
        return lines.readline().strip() == IMPORT_HEADER


def _write_interactions_csv(source: Path, target: Path) -> None:
    """UCSD reviews, or a CSV with other columns or another order → the dataset import's format
    (IMPORT_HEADER); an interaction without an event type becomes the reviews' "rating"."""
    data = read_interactions(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    values = np.where(np.isnan(data.event_values), "", data.event_values.astype(str))
    types = np.where(data.event_types == "", "rating", data.event_types)
    with open(target, "w", encoding="utf-8") as out:
        out.write(IMPORT_HEADER + "\n")
        for row in zip(data.user_ids, data.item_ids, data.timestamps, types, values, strict=True):
            out.write(",".join(str(cell) for cell in row) + "\n")
