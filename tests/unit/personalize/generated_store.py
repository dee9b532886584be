"""A small generated store (allstore.data.synthetic) as evaluation data: TrainingData and the same
interactions as a CSV file, for the `allstore evaluate` tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from allstore.data import synthetic
from allstore.personalize.recipes import TrainingData


@cache
def store() -> synthetic.Store:
    """200 items, 6,000 interactions (300 users): seconds to train every model on."""
    return synthetic.generate_store(items=200, interactions=6_000, seed=3)


def training_data(store: synthetic.Store) -> TrainingData:
    events = store.events
    return TrainingData.from_columns(
        store.user_ids[events.user], store.catalogue.asins[events.item], events.timestamp
    )


def write_csv(store: synthetic.Store, path: Path) -> str:
    events = store.events
    rows = zip(store.user_ids[events.user], store.catalogue.asins[events.item], events.timestamp, strict=True)
    path.write_text("USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows))
    return str(path)
