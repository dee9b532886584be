"""`allstore evaluate --config eval.yaml`: a run described by a file, so it can be repeated, reviewed
and kept with its results.

The file sets what the command-line options set (options given on the command line win), plus
what only a file can say: baselines on or off and hyperparameters per model. It is validated
whole before anything trains: an unknown key, a wrong type or a value out of range is refused
naming its place in the file.

    interactions: data/interactions.csv   # relative paths are relative to this file
    format: csv
    items: data/items.csv
    recipes: [user-personalization, sims]
    baselines: true
    hyperparameters:
      sims: {cointeraction_window: 5}
    tune_seconds: 60
    protocol: temporal
    cutoff: "2023-06-01"                  # or a fraction: 0.9
    seeds: 1
    max_users: 50000                      # test users ranked per model at most; 0: all
    k: [5, 10, 20, 50]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from allstore.personalize.evaluation_protocols import MAX_K, Protocol, parse_cutoff


class EvaluationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interactions: Path | None = None
    format: str | None = None
    items: Path | None = None
    recipes: list[str] | None = Field(default=None, min_length=1)
    baselines: bool = True
    hyperparameters: dict[str, dict[str, str | int | float | bool]] = {}
    tune_seconds: Annotated[float, Field(gt=0)] | None = None
    protocol: Protocol | None = None
    cutoff: str | float | None = None
    seeds: Annotated[int, Field(ge=1)] | None = None
    max_users: Annotated[int, Field(ge=0)] | None = None
    k: list[Annotated[int, Field(ge=1, le=MAX_K)]] | None = Field(default=None, min_length=1)

    @field_validator("cutoff")
    @classmethod
    def _cutoff(cls, value: str | float | None) -> str | None:
        if value is None:
            return None
        parse_cutoff(str(value))  # ValueError: pydantic names the field
        return str(value)

    def hyperparameter_strings(self) -> dict[str, dict[str, str]]:
        """Hyperparameters as the recipes take them: strings (YAML's true as "true")."""
        return {
            model: {
                name: str(value).lower() if isinstance(value, bool) else str(value)
                for name, value in values.items()
            }
            for model, values in self.hyperparameters.items()
        }


def load_config(path: Path) -> EvaluationConfig:
    """The file's settings, with relative paths resolved against its folder; ValueError naming every
    problem (file and place in it) otherwise."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read it as YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of settings at the top, got {type(raw).__name__}")
    try:
        config = EvaluationConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ValueError(f"{path}: {problems}") from None
    resolved = {
        name: path.parent / value
        for name in ("interactions", "items")
        if (value := getattr(config, name)) is not None and not value.is_absolute()
    }
    return config.model_copy(update=resolved)
