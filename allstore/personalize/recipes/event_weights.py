"""A solution's events configuration (solutionConfig.eventsConfig.eventParametersList): which event
types a training considers, each one's event value threshold and weight.

As the service documents it (docs.aws.amazon.com/personalize/latest/dg/optimizing-solution-events-config.html;
the EventsConfig and EventParameters API reference): only User-Personalization-v2 and
Personalized-Ranking-v2 take it; at most 10 event types; "include all event types you want to be
considered", so an event type the list does not name is not trained on; an event of a listed type
counts only when its EVENT_VALUE is greater than or equal to the type's eventValueThreshold (an
event without a value then does not count); a weight is between 0.0 and 1.0 and only the ratio of
weights between event types matters ("purchase" 0.3 and "click" 0.1 act as 0.6 and 0.2 do).

Local choices where the pages say nothing: an entry without `weight` weighs 1.0; an entry must name
its eventType; an event type of weight 0 counts for nothing, so it trains as if it were not listed.
Weights are kept divided by the largest, so only their ratios reach a model, and weights that are all
equal leave nothing to weigh (the model is the one trained without them on the same events).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from allstore.personalize.recipes.base import TrainingData

# The recipes whose pages (and the events configuration page) say they take an events configuration.
RECIPES = ("aws-user-personalization-v2", "aws-personalized-ranking-v2")
MAX_EVENT_TYPES = 10  # EventParametersList: "Maximum number of 10 items"
LIST = "solutionConfig.eventsConfig.eventParametersList"


@dataclass(frozen=True)
class EventParameters:
    """One entry of eventParametersList."""

    event_type: str
    weight: float = 1.0
    threshold: float | None = None


def parse(events_config: Mapping[str, Any] | None) -> tuple[EventParameters, ...] | None:
    """The configuration's entries, or None without an eventParametersList. ValueError, in words
    an InvalidInputException can carry, for each rule an entry breaks."""
    if not events_config or events_config.get("eventParametersList") is None:
        return None
    entries = events_config["eventParametersList"]
    if not isinstance(entries, Sequence) or isinstance(entries, str):
        raise ValueError(f"{LIST} must be a list of event parameters.")
    if not entries:
        raise ValueError(f"{LIST} must name at least one event type (the event types to train on).")
    if len(entries) > MAX_EVENT_TYPES:
        raise ValueError(
            f"{LIST} has {len(entries)} event types; you can specify a maximum of {MAX_EVENT_TYPES}."
        )
    parsed, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"{LIST}[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be an object with eventType, eventValueThreshold and weight.")
        event_type = entry.get("eventType")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError(f"{where}.eventType is required: the event type the weight is for.")
        if len(event_type) > 256:
            raise ValueError(f"{where}.eventType must have at most 256 characters.")
        if event_type in seen:
            raise ValueError(f"{LIST} names event type {event_type!r} more than once.")
        seen.add(event_type)
        weight = _number(entry.get("weight", 1.0), f"{where}.weight")
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"{where}.weight is {weight:g}; an event weight must be between 0.0 and 1.0.")
        threshold = entry.get("eventValueThreshold")
        parsed.append(
            EventParameters(
                event_type,
                weight,
                None if threshold is None else _number(threshold, f"{where}.eventValueThreshold"),
            )
        )
    if not any(parameters.weight > 0 for parameters in parsed):
        raise ValueError(
            f"{LIST} gives every event type a weight of 0: only the ratio of weights matters, so at "
            "least one must be above 0."
        )
    return tuple(parsed)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, not {value!r}.")
    return float(value)


def check_recipe(recipe_name: str) -> None:
    """ValueError unless the recipe takes an events configuration."""
    if recipe_name not in RECIPES:
        raise ValueError(
            f"eventsConfig is not supported by {recipe_name}: an events configuration is for the "
            f"User-Personalization-v2 and Personalized-Ranking-v2 recipes ({', '.join(RECIPES)})."
        )


def check_columns(parameters: Sequence[EventParameters], fields: Sequence[str]) -> None:
    """ValueError when the Item interactions dataset's schema cannot carry the configuration: weights
    need an EVENT_TYPE column, a threshold an EVENT_VALUE column."""
    if "EVENT_TYPE" not in fields:
        raise ValueError(
            "eventsConfig weighs interactions by EVENT_TYPE, and the Item interactions dataset's schema "
            "has no EVENT_TYPE column."
        )
    with_threshold = [p.event_type for p in parameters if p.threshold is not None]
    if with_threshold and "EVENT_VALUE" not in fields:
        raise ValueError(
            f"eventsConfig sets an eventValueThreshold for {', '.join(with_threshold)}, and the Item "
            "interactions dataset's schema has no EVENT_VALUE column."
        )


def kept(parameters: Sequence[EventParameters], types: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which interactions train: a listed event type of weight above 0, with a value at or above
    its threshold when it has one."""
    keep = np.zeros(len(types), dtype=bool)
    with np.errstate(invalid="ignore"):
        for p in parameters:
            if p.weight > 0:
                chosen = types == p.event_type
                if p.threshold is not None:
                    chosen &= values >= p.threshold
                keep |= chosen
    return keep


def type_weights(parameters: Sequence[EventParameters]) -> dict[str, float]:
    """Each trained event type's weight divided by the largest (only ratios matter); empty when they
    are all equal, as then nothing is weighed."""
    weights = {p.event_type: p.weight for p in parameters if p.weight > 0}
    top = max(weights.values(), default=0.0)
    scaled = {event_type: weight / top for event_type, weight in weights.items()}
    return {} if all(weight == 1.0 for weight in scaled.values()) else scaled


def row_weights(data: TrainingData) -> np.ndarray | None:
    """Each interaction's weight (float32), or None when `data` weighs every interaction the same.
    An event type the weights do not name (none, after training_data's filtering) weighs 1.0."""
    if not data.event_type_weights:
        return None
    weights = np.ones(len(data.event_types), dtype=np.float32)
    for event_type, weight in data.event_type_weights.items():
        weights[data.event_types == event_type] = weight
    return weights
