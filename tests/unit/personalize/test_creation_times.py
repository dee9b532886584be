"""Inference's items' creation times (exploration's age cut-off, rankingInfluence FRESHNESS): the
Items dataset's CREATION_TIMESTAMP, else the oldest training interaction, built once per model and
metadata version instead of on every GetRecommendations."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from allstore.personalize.state.inference import Inference

VERSION = "arn:aws:personalize:us-east-1:123456789012:solution/s/v1"
GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/g"


class FakeMetadata:
    """Items rows of one dataset group; `version` as the real Metadata bumps it on every change."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.items = rows
        self.version = 0
        self.reads = 0

    def rows(self, group_arn: str, dataset_type: str) -> dict[str, dict[str, Any]]:
        assert (group_arn, dataset_type) == (GROUP, "ITEMS")
        self.reads += 1
        return self.items


def bundle() -> Any:
    """A model of items a, b, c trained on interactions with a (t=50, 20) and b (t=70); c has none."""
    return SimpleNamespace(
        model=SimpleNamespace(items=np.array(["a", "b", "c"])),
        history_items=np.array(["a", "b", "a"]),
        history_timestamps=np.array([50, 70, 20]),
    )


def test_metadata_first_then_the_oldest_interaction_then_none():
    metadata = FakeMetadata({"b": {"CREATION_TIMESTAMP": 5}})
    created = Inference(None, None, None, metadata)._creation_times(VERSION, bundle(), GROUP)  # type: ignore[arg-type]
    assert created.tolist() == [20.0, 5.0, float("inf")]


def test_built_once_per_metadata_version():
    metadata = FakeMetadata({"b": {"CREATION_TIMESTAMP": 5}})
    inference = Inference(None, None, None, metadata)  # type: ignore[arg-type]
    model = bundle()
    first = inference._creation_times(VERSION, model, GROUP)
    assert inference._creation_times(VERSION, model, GROUP) is first
    assert metadata.reads == 1
    assert not first.flags.writeable  # shared by every request: nobody may change it
    metadata.items = {"c": {"CREATION_TIMESTAMP": 99}}
    metadata.version += 1  # an import or PutItems
    assert inference._creation_times(VERSION, model, GROUP).tolist() == [20.0, 70.0, 99.0]
    assert metadata.reads == 2
