"""Reading algorithmHyperParameters, which the API carries as strings.

Recipes read from their defaults merged with the solution's values, so every name is present.
Bad values raise `ValueError` with a message naming the hyperparameter, so the service can answer
with an InvalidInputException instead of failing the training job later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# A recipe's documented hyperparameters: name -> (kind, low, high) for integer and continuous ones,
# ("categorical", values) for a categorical one (booleans when values is empty).
DocumentedRanges = Mapping[str, tuple]


def read_float(hyperparameters: Mapping[str, str], name: str, low: float, high: float) -> float:
    """A float in [low, high]."""
    raw = hyperparameters[name]
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"Hyperparameter {name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"Hyperparameter {name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def read_int(hyperparameters: Mapping[str, str], name: str, low: int, high: int) -> int:
    """An integer in [low, high]."""
    raw = hyperparameters[name]
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"Hyperparameter {name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"Hyperparameter {name} must be between {low} and {high}, got {raw!r}")
    return value


def read_bool(hyperparameters: Mapping[str, str], name: str) -> bool:
    """`true` / `false` (any case)."""
    raw = hyperparameters[name]
    if raw.strip().lower() in {"true", "false"}:
        return raw.strip().lower() == "true"
    raise ValueError(f"Hyperparameter {name} must be true or false, got {raw!r}")


def read_choice(hyperparameters: Mapping[str, str], name: str, values: Iterable[str]) -> str:
    """One of `values`."""
    raw, allowed = hyperparameters[name], tuple(values)
    if raw not in allowed:
        raise ValueError(f"Hyperparameter {name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def categorical_values(bounds: tuple) -> list[str]:
    """A documented categorical range's values: its own, else a boolean's."""
    return list(bounds[1]) if len(bounds) > 1 and bounds[1] else ["true", "false"]


def check_documented(hyperparameters: Mapping[str, str], documented: DocumentedRanges) -> None:
    """The values of documented hyperparameters within the service's ranges (ValueError otherwise)."""
    for name, bounds in documented.items():
        if name not in hyperparameters:
            continue
        kind = bounds[0]
        if kind == "integer":
            read_int(hyperparameters, name, int(bounds[1]), int(bounds[2]))
        elif kind == "continuous":
            read_float(hyperparameters, name, bounds[1], bounds[2])
        elif categorical_values(bounds) == ["true", "false"]:
            read_bool(hyperparameters, name)
        else:
            read_choice(hyperparameters, name, categorical_values(bounds))


def known_names(recipe: object) -> set[str]:
    """The hyperparameter names a recipe takes: its defaults, plus the documented ones it applies
    only when set (`optional_parameters`, e.g. hidden_dimension, which has no default here)."""
    return set(getattr(recipe, "default_hyperparameters", {})) | set(
        getattr(recipe, "optional_parameters", ())
    )


# HPOResourceConfig: "The maximum value for maxNumberOfTrainingJobs is 40", "for
# maxParallelTrainingJobs is 10" (trainings run one after another here, so the latter is only checked).
MAX_TRAINING_JOBS = 40
MAX_PARALLEL_TRAINING_JOBS = 10
GRID_POINTS = 5  # candidates tried across an integer or continuous range
RANGE_KINDS = ("integer", "continuous", "categorical")
ALGORITHM_ARN_PREFIX = "arn:aws:personalize:::algorithm/"


def tunable_ranges(recipe: object) -> dict[str, list[dict]]:
    """DescribeAlgorithm's defaultHyperParameterRanges: the recipe's documented hyperparameters and
    ranges (also those without a default here, `optional_parameters`), tunable unless the recipe
    page says "HPO tunable: No" (featurization ones, `untunable_parameters`) or that the recipe
    has no HPO (`hpo_supported` false), then this service's own searched hyperparameters as
    categorical ranges of the values it tries."""
    known = known_names(recipe)
    documented = getattr(recipe, "documented_ranges", {})
    untunable = {
        *getattr(recipe, "featurization_parameters", ()),
        *getattr(recipe, "untunable_parameters", ()),
    }
    hpo = getattr(recipe, "hpo_supported", True)
    ranges: dict[str, list[dict]] = {f"{kind}HyperParameterRanges": [] for kind in RANGE_KINDS}
    for name, bounds in documented.items():
        if name not in known:
            continue
        kind = bounds[0]
        entry: dict = {"name": name, "isTunable": hpo and name not in untunable}
        if kind == "categorical":
            entry["values"] = categorical_values(bounds)
        elif kind == "integer":
            entry.update(minValue=int(bounds[1]), maxValue=int(bounds[2]))
        else:
            entry.update(minValue=float(bounds[1]), maxValue=float(bounds[2]))
        ranges[f"{kind}HyperParameterRanges"].append(entry)
    for name, values in getattr(recipe, "search_space", {}).items():
        if name not in documented:
            ranges["categoricalHyperParameterRanges"].append(
                {"name": name, "values": list(values), "isTunable": True}
            )
    return ranges


def hpo_search_space(
    hpo_config: Mapping[str, object] | None, recipe: object, current: Mapping[str, str]
) -> dict[str, list[str]] | None:
    """hpoConfig.algorithmHyperParameterRanges as the values to try per name (in the order given,
    each starting from its `current` value when that lies in the range), or None when it names no
    range; ValueError when a name is not one of the recipe's tunable hyperparameters, is of another
    kind, or ranges outside the documented bounds."""
    ranges = (hpo_config or {}).get("algorithmHyperParameterRanges") or {}
    reported = {
        entry["name"]: (kind, entry)
        for kind in RANGE_KINDS
        for entry in tunable_ranges(recipe)[f"{kind}HyperParameterRanges"]
        if entry["isTunable"]
    }
    name_of = getattr(recipe, "name", "this recipe")
    space: dict[str, list[str]] = {}
    for kind in RANGE_KINDS:
        for entry in ranges.get(f"{kind}HyperParameterRanges") or []:
            name = entry.get("name")
            if name not in reported:
                unused = name not in known_names(recipe) and name not in getattr(recipe, "search_space", {})
                service = (  # the service's sentence for a name the algorithm does not use
                    f"Provide a hyperparameter that is used in the algorithm: {ALGORITHM_ARN_PREFIX}{name_of}. "
                    if unused
                    else ""
                )
                raise ValueError(
                    f"{service}hpoConfig names {name!r}, which is not a tunable hyperparameter of {name_of} "
                    f"(tunable: {', '.join(reported) or 'none'})"
                )
            if name in space:
                raise ValueError(f"hpoConfig gives {name} more than one range")
            expected, bounds = reported[name]
            if kind != expected:
                raise ValueError(f"hpoConfig: {name} takes {expected}HyperParameterRanges")
            start = current.get(name)
            if kind == "categorical":
                values = [str(value) for value in entry.get("values") or []]
                if not values:
                    raise ValueError(f"hpoConfig: {name} needs at least one value")
                _check_categorical(name, values, bounds["values"])
                starts = [value for value in values if value.lower() == str(start).lower()]
            else:
                values, starts = _grid(name, entry, bounds, kind == "integer", start)
            space[name] = [*starts[:1], *(value for value in values if value not in starts[:1])]
    return space or None


def _check_categorical(name: str, values: list[str], reported: list[str]) -> None:
    """Booleans must be true/false; our own numeric hyperparameters take numbers."""
    if reported == ["true", "false"]:
        check = [value for value in values if value.strip().lower() not in reported]
    elif all(_is_number(value) for value in reported):
        check = [value for value in values if not _is_number(value)]
    else:
        check = []
    if check:
        raise ValueError(f"hpoConfig: {name} takes values like {', '.join(reported)}, not {check[0]!r}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _grid(
    name: str, entry: Mapping, bounds: Mapping, integer: bool, start: str | None
) -> tuple[list[str], list[str]]:
    """GRID_POINTS values evenly across [minValue, maxValue] (fewer when an integer range is short),
    and `start` as the first one to try when it lies in the range."""
    low, high = entry.get("minValue", bounds["minValue"]), entry.get("maxValue", bounds["maxValue"])
    if not bounds["minValue"] <= low <= high <= bounds["maxValue"]:
        raise ValueError(
            f"hpoConfig: {name} must range within [{bounds['minValue']}, {bounds['maxValue']}], "
            f"got [{low}, {high}]"
        )
    step = (high - low) / (GRID_POINTS - 1)
    points = [low + step * index for index in range(GRID_POINTS)]
    if integer:
        values = [str(value) for value in dict.fromkeys(round(point) for point in points)]
    else:
        values = list(dict.fromkeys(f"{point:.6g}" for point in points))
    inside = start is not None and _is_number(start) and low <= float(start) <= high
    return values, [start] if inside else []


def hpo_max_trials(hpo_config: Mapping[str, object] | None) -> int:
    """hpoResourceConfig.maxNumberOfTrainingJobs (whole numbers as strings, as the API carries
    them; default and most MAX_TRAINING_JOBS); ValueError for a bad one."""
    resource = (hpo_config or {}).get("hpoResourceConfig") or {}
    for key, most in (
        ("maxNumberOfTrainingJobs", MAX_TRAINING_JOBS),
        ("maxParallelTrainingJobs", MAX_PARALLEL_TRAINING_JOBS),
    ):
        raw = resource.get(key)
        if raw is not None and not (str(raw).isdigit() and 1 <= int(raw) <= most):
            raise ValueError(
                f"hpoConfig.hpoResourceConfig.{key} must be a whole number from 1 to {most}, got {raw!r}"
            )
    return int(resource.get("maxNumberOfTrainingJobs") or MAX_TRAINING_JOBS)
