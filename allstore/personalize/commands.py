"""The Personalize commands: `allstore evaluate` compares recipes with baselines on an interactions
file, offline; `allstore personalize serve` runs the local Personalize-compatible service on its own.

Every model — the recipes asked for, popularity, `implicit` ALS and item-kNN cosine — goes through
the same split, exclusions and metrics (allstore.personalize.evaluation), so the table answers
"is this recipe better than the obvious alternatives on my data?".
"""

from __future__ import annotations

import csv
import json
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress, TextColumn
from rich.table import Table

from allstore.data.interactions import FORMATS, read_interactions, sniff_format
from allstore.data.item_metadata import read_item_metadata
from allstore.personalize.evaluation_protocols import (
    DEFAULT_CUTOFF,
    MAX_K,
    MAX_TEST_USERS,
    PROTOCOLS,
    Protocol,
    parse_cutoff,
)
from allstore.start_refusals import refused_in_one_line

if TYPE_CHECKING:
    from allstore.personalize.evaluation import Run, SharedFits, Task
    from allstore.personalize.evaluation_splits import Split
    from allstore.personalize.recipes import Recipe, TrainingData
    from allstore.personalize.recipes.validation import PerUser

DEFAULT_RECIPES = ("aws-user-personalization", "aws-sims")
WIDE_OUTPUT = 160


def evaluate(
    ctx: typer.Context,
    interactions: Annotated[
        Path | None,
        typer.Option(exists=True, help="Interactions file (or P5 folder) to train and test on."),
    ] = None,
    format: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(FORMATS)}; detected from the path when omitted.")
    ] = None,
    items: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Item metadata (an Items dataset CSV, or product JSON lines) for the recipes, as the "
            "service uses an Items dataset; also adds intra-list diversity by category.",
        ),
    ] = None,
    recipe: Annotated[
        list[str] | None,
        typer.Option(
            help="Recipe name (as printed, or aws-...) or ARN; repeat for several "
            "(default: user-personalization and sims)."
        ),
    ] = None,
    protocol: Annotated[str, typer.Option(help=f"One of {', '.join(PROTOCOLS)}.")] = "leave-one-out",
    cutoff: Annotated[
        str | None,
        typer.Option(
            help="--protocol temporal: where the test period starts, as the fraction of interactions "
            f"(in time order) that train or an ISO date (default {DEFAULT_CUTOFF})."
        ),
    ] = None,
    k: Annotated[
        str | None,
        typer.Option(
            "--k",
            help="Comma-separated cut-offs for the metrics, e.g. 5,10,20,50 (default: 10 for "
            "leave-one-out, the service's 5,10,25 otherwise).",
        ),
    ] = None,
    tune: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="Search each recipe's hyperparameters for this many seconds on a validation split of "
            "the training part (no test target in it) before it is evaluated.",
        ),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            min=1, help="Repeat the personalize protocol's random split with seeds 0..N-1 and pool the users."
        ),
    ] = 1,
    max_users: Annotated[
        int,
        typer.Option(
            min=0,
            help="Rank at most this many of the split's test users per model: a random sample seeded "
            "by the split seed, the same users for every model, each scored exactly as in the whole "
            "split (0: all; a split with fewer test users is used whole; --score-batch-output "
            f"scores every exported user) [default: {MAX_TEST_USERS:,}].",
            show_default=False,
        ),
    ] = MAX_TEST_USERS,
    per_user: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="Write every evaluated user's metrics (CSV: model, seed, user, ...)."
        ),
    ] = None,
    export_split: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Write the personalize split (interactions to import, batch-inference inputs, ground "
            "truth, manifest) into this folder and stop; with --score-batch-output, read it back.",
        ),
    ] = None,
    score_batch_output: Annotated[
        list[str] | None,
        typer.Option(
            help="[NAME=]FILE: Amazon Personalize batch-inference output for the --export-split folder's "
            "users, scored as one more row (repeat for several).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="YAML file describing the run (recipes, baselines, hyperparameters, tune_seconds, "
            "protocol, cutoff, seeds, max_users, k, interactions, items); options given here win.",
        ),
    ] = None,
    report_file: Annotated[
        Path | None,
        typer.Option(
            "--report",
            dir_okay=False,
            help="Also write an HTML report: interval table, charts and the run's manifest.",
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
) -> None:
    """Train recipes and baselines on an interactions file and report their offline metrics, each
    with a 95% bootstrap interval over users and a paired test against the best model."""
    # The models load here, not at the top: every other `allstore` command would pay for them.
    from allstore.personalize.recipes import TrainingData

    started = time.perf_counter()
    settings = None
    baselines, hyperparameters = True, {}
    if config is not None:
        from allstore.personalize.evaluation_config import load_config

        try:
            settings = load_config(config)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--config") from None

        def unless_given(name: str, value, from_file):
            source = ctx.get_parameter_source(name)  # typer's own (vendored) click enum: by name
            given = source is not None and source.name == "COMMANDLINE"
            return value if given or from_file is None else from_file

        interactions = unless_given("interactions", interactions, settings.interactions)
        format = unless_given("format", format, settings.format)
        items = unless_given("items", items, settings.items)
        recipe = unless_given("recipe", recipe, settings.recipes)
        protocol = unless_given("protocol", protocol, settings.protocol)
        cutoff = unless_given("cutoff", cutoff, settings.cutoff)
        seeds = unless_given("seeds", seeds, settings.seeds)
        max_users = unless_given("max_users", max_users, settings.max_users)
        tune = unless_given("tune", tune, settings.tune_seconds)
        k = unless_given("k", k, ",".join(map(str, settings.k)) if settings.k else None)
        baselines, hyperparameters = settings.baselines, settings.hyperparameter_strings()
    if interactions is None:
        raise typer.BadParameter(
            "give --interactions, or interactions: in --config", param_hint="--interactions"
        )
    if not interactions.exists():
        raise typer.BadParameter(f"{interactions} does not exist", param_hint="--interactions")
    if protocol not in PROTOCOLS:
        raise typer.BadParameter(f"expected one of {', '.join(PROTOCOLS)}", param_hint="--protocol")
    if format is not None and format not in FORMATS:
        raise typer.BadParameter(f"expected one of {', '.join(FORMATS)}", param_hint="--format")
    if seeds > 1 and protocol != "personalize":
        raise typer.BadParameter(
            f"{protocol}'s split has no random part; repeated seeds need --protocol personalize",
            param_hint="--seeds",
        )
    if cutoff is not None and protocol != "temporal":
        raise typer.BadParameter("only the temporal protocol has a cut-off", param_hint="--cutoff")
    try:
        when = parse_cutoff(cutoff or DEFAULT_CUTOFF)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--cutoff") from None
    ks = parse_cutoffs(k) if k is not None else None
    if (export_split or score_batch_output) and (protocol != "personalize" or seeds > 1):
        raise typer.BadParameter(
            "the round trip with the service uses one split of --protocol personalize (no --seeds)",
            param_hint="--export-split",
        )
    if score_batch_output and export_split is None:
        raise typer.BadParameter(
            "needs --export-split, the folder the batch inputs came from", param_hint="--score-batch-output"
        )
    outputs = [_named_output(value) for value in score_batch_output or []]
    try:
        recipes = resolve_recipes(recipe or DEFAULT_RECIPES)
    except KeyError as error:
        raise typer.BadParameter(error.args[0], param_hint="--recipe") from None
    with progress_bar(not json_output) as bar:
        reading = bar.add_task("data", total=3, stage="reading interactions")
        try:
            columns = read_interactions(interactions, format)
        except (OSError, ValueError) as error:
            raise typer.BadParameter(
                f"{error}{_format_hint(interactions, format)}", param_hint="--interactions"
            ) from None
        if len(columns) == 0:
            raise typer.BadParameter(
                f"the file has no interactions{_format_hint(interactions, format)}",
                param_hint="--interactions",
            )
        bar.update(reading, completed=1, stage="reading items")
        metadata = {}
        if items is not None:
            try:
                metadata = read_item_metadata(items)
            except (OSError, ValueError) as error:
                raise typer.BadParameter(str(error), param_hint="--items") from None
        bar.update(reading, completed=2, stage="encoding ids")
        # The reader's int32 codes go straight in: no string per row is built or sorted.
        data = TrainingData.from_codes(
            columns.user_codes,
            columns.distinct_users,
            columns.item_codes,
            columns.distinct_items,
            columns.timestamps,
            columns.event_type_codes,
            columns.distinct_event_types,
            columns.event_values,
            catalogue=list(metadata) if metadata else None,
            item_metadata=metadata,
        )
        del columns
        bar.update(reading, completed=3, stage="done")

    from allstore.personalize import evaluation_export

    split_seeds: Sequence[int] = range(seeds)
    try:
        if export_split is not None and not outputs:
            manifest = evaluation_export.export_split(data, export_split, interactions.name)
            typer.echo(
                json.dumps(manifest)
                if json_output
                else f"Wrote {', '.join(manifest['files'])} to {export_split}"
            )
            return
        external = {}
        if outputs:
            assert export_split is not None
            split_seeds = [evaluation_export.read_manifest(export_split, data)["seed"]]
            external = {
                name: evaluation_export.score_batch_output(data, export_split, [path])
                for name, path in outputs
            }
        comparison = compare(
            data,
            recipes,
            protocol,
            seeds=split_seeds,
            progress=not json_output,
            external=external,
            ks=ks,
            cutoff=when if protocol == "temporal" else None,
            baselines=baselines,
            hyperparameters=hyperparameters,
            tune_seconds=tune,
            # The round trip scores every exported user: the local models rank the same ones.
            max_users=None if outputs or max_users == 0 else max_users,
        )
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(1) from None
    if per_user is not None:
        comparison.write_per_user(per_user, data)
    report = {
        "dataset": interactions.name,
        "protocol": protocol,
        "users": len(data.users),
        "items": len(data.items),
        "seeds": list(split_seeds),
        "users_evaluated": comparison.users_evaluated,
        **({"users_sampled_from": comparison.sampled_from} if comparison.sampled_from else {}),
        "results": comparison.results,
    }
    if comparison.ranking is not None:
        from allstore.personalize.evaluation_candidates import describe

        report["ranking"] = {
            "candidates": describe(split_seeds),
            "users_evaluated": comparison.ranking.users_evaluated,
            "results": comparison.ranking.results,
        }
    from allstore.personalize.evaluation_report import manifest, write_report

    report["manifest"] = manifest(
        report,
        evaluation_export.data_hash(data),
        time.perf_counter() - started,
        settings.model_dump(mode="json") if settings else None,
    )
    if report_file is not None:
        names = [name for row in _all_rows(report) for name in row if name not in SUMMARY_FIELDS]
        primary = primary_metric(names)
        if primary is not None:
            write_report(report_file, report, {name: short_label(name) for name in names}, primary)
    if json_output:
        typer.echo(json.dumps(report))
    else:
        _print_table(report)


def progress_bar(enabled: bool) -> Progress:
    """`allstore evaluate`'s bars (one per model, and one for reading the data), each with its
    current stage, on stderr; shown only when `enabled` and stderr is a terminal."""
    console = Console(stderr=True)
    return Progress(
        *Progress.get_default_columns(),
        TextColumn("{task.fields[stage]}"),
        console=console,
        transient=True,
        disable=not enabled or not console.is_terminal,
    )


def _all_rows(report: dict) -> list[dict]:
    """The rows of both tables: the catalogue's and the ranking task's."""
    return [*report["results"], *report.get("ranking", {}).get("results", [])]


def parse_cutoffs(text: str) -> tuple[int, ...]:
    """`--k 5,10,20,50` as sorted distinct cut-offs; BadParameter for anything else."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        values = []
    if not values or values[0] < 1 or values[-1] > MAX_K:
        raise typer.BadParameter(
            f"expected comma-separated whole numbers from 1 to {MAX_K}, e.g. 5,10,20,50", param_hint="--k"
        )
    return tuple(values)


def _format_hint(path: Path, format: str | None) -> str:
    """`; it looks like csv, not p5 (--format csv)` when the file's first line fits another format."""
    looks = sniff_format(path)
    if format is None or looks is None or looks == format:
        return ""
    return f"; it looks like {looks}, not {format} (--format {looks})"


def _named_output(value: str) -> tuple[str, Path]:
    """`NAME=FILE` or `FILE` (named after the file) for --score-batch-output."""
    name, _, file = value.rpartition("=")
    path = Path(file)
    if not path.is_file():
        raise typer.BadParameter(f"{file} is not a file", param_hint="--score-batch-output")
    return name or path.name.removesuffix(".out").removesuffix(".json"), path


def resolve_recipes(names: Sequence[str]) -> list[Recipe]:
    """The recipes for names as `allstore evaluate` prints them (`sims`, `popularity`) or as the
    service names them (`aws-sims`, ARNs), each once. KeyError (RetiredRecipe for HRNN) otherwise,
    and for Next-Best-Action, whose actions data `allstore evaluate` does not read."""
    from allstore.personalize.recipes import RECIPE_ARN_PREFIX, RECIPES, RETIRED_RECIPES, get_recipe

    resolved: dict[str, Recipe] = {}
    for name in names:
        bare = name.removeprefix(RECIPE_ARN_PREFIX)
        bare = "aws-popularity-count" if bare == "popularity" else bare
        if not bare.startswith("aws-") and f"aws-{bare}" in RECIPES.keys() | RETIRED_RECIPES.keys():
            bare = f"aws-{bare}"
        recipe = get_recipe(bare if bare in RECIPES.keys() | RETIRED_RECIPES.keys() else name)
        if recipe.recipe_type == "PERSONALIZED_ACTIONS":
            raise KeyError(
                f"{name} recommends actions, not items: it needs an Actions dataset and action "
                "interactions (TAKEN / NOT_TAKEN), which allstore evaluate does not read"
            )
        resolved.setdefault(recipe.name, recipe)
    return list(resolved.values())


def model_name(recipe: Recipe) -> str:
    """The row name: the recipe name without `aws-`; Popularity-Count is the `popularity` baseline."""
    return "popularity" if recipe.name == "aws-popularity-count" else recipe.name.removeprefix("aws-")


@dataclass
class Comparison:
    """The table's rows, and the per-user rows behind them (by model, one PerUser per seed);
    `ranking`: the ranking task's table (re-rankers and the baselines on the candidate lists), when
    a re-ranker was asked for."""

    results: list[dict]
    per_user: dict[str, list[tuple[int, PerUser]]]
    users_evaluated: int | None
    ranking: Comparison | None = None
    # The splits' test users (over the seeds) when --max-users sampled the evaluated ones from them.
    sampled_from: int | None = None

    def write_per_user(self, path: Path, data: TrainingData) -> None:
        """CSV: model, task (catalogue, or ranking: the candidate lists), seed, user (the file's
        id), then each per-user metric."""
        with path.open("w", newline="") as file:
            writer = None
            tables = [("catalogue", self), *([("ranking", self.ranking)] if self.ranking else [])]
            for task, table in tables:
                for model, runs in table.per_user.items():
                    for seed, run in runs:
                        names = list(run.per_user)
                        if writer is None:
                            writer = csv.writer(file)
                            writer.writerow(["model", "task", "seed", "user", *names])
                        for index, user in enumerate(run.users):
                            writer.writerow(
                                [
                                    model,
                                    task,
                                    seed,
                                    data.users[user],
                                    *(repr(float(run.per_user[n][index])) for n in names),
                                ]
                            )


def compare(
    data: TrainingData,
    recipes: Sequence[Recipe],
    protocol: Protocol,
    seeds: Sequence[int] = (0,),
    progress: bool = False,
    external: Mapping[str, PerUser] | None = None,
    ks: Sequence[int] | None = None,
    cutoff: float | int | None = None,
    baselines: bool = True,
    hyperparameters: Mapping[str, Mapping[str, str]] | None = None,
    tune_seconds: float | None = None,
    max_users: int | None = MAX_TEST_USERS,
) -> Comparison:
    """One result row per recipe and per baseline (unless `baselines` is off), all through the same
    protocol and splits, plus one per `external` ranking already scored on the same split
    (batch-inference output). Re-rankers (Personalized-Ranking) are rows of `ranking`, the task
    of ordering each test user's candidate list, where the baselines re-rank the same lists (from
    the same fit). `hyperparameters` (by row name) override a model's defaults; `tune_seconds`
    searches each recipe's other hyperparameters on a validation split first; `max_users` bounds
    the test users every model ranks (a seeded sample of the split's, the same for every model)."""
    # Imported here: the models (and `implicit`) take seconds to import, and every other
    # `allstore` command would pay for them at start-up.
    from allstore.personalize.evaluation import SharedFits, default_task
    from allstore.personalize.recipes.baselines import BASELINES, ActiveUsers
    from allstore.personalize.recipes.popularity import PopularityCount

    named = [(model_name(recipe), recipe) for recipe in recipes]
    if baselines and any(recipe.recipe_type != "USER_SEGMENTATION" for recipe in recipes):
        if "popularity" not in dict(named):
            named.append(("popularity", PopularityCount()))
        named += [(baseline.name, baseline) for baseline in BASELINES]
    for kind in dict.fromkeys(
        recipe.segment_queries
        for recipe in recipes
        if baselines and recipe.recipe_type == "USER_SEGMENTATION"
    ):
        baseline = ActiveUsers(kind)
        named.append((baseline.name, baseline))
    ranking = any(default_task(recipe) == "ranking" for recipe in recipes)
    comparators = {"popularity", *(baseline.name for baseline in BASELINES)}
    tables: dict[str, tuple[list[dict], dict[str, list[tuple[int, PerUser]]]]] = {
        "catalogue": ([], {}),
        "ranking": ([], {}),
    }
    splits: dict[int, Split] = {}
    tuned = {name for name, model in named if tune_seconds and getattr(model, "search_space", None)}
    fits = SharedFits(
        [
            (model, {**model.default_hyperparameters, **(hyperparameters or {}).get(name, {})})
            for name, model in named
            if name not in tuned
        ]
    )
    with progress_bar(progress) as bar:
        for name, model in named:
            fixed = dict((hyperparameters or {}).get(name, {}))
            # The baselines re-rank the candidate lists too when a re-ranker is compared.
            tasks: tuple[Task, ...] = (
                ("catalogue", "ranking") if ranking and name in comparators else (default_task(model),)
            )
            evaluated = _evaluate_model(
                bar,
                name,
                model,
                data,
                protocol,
                seeds,
                ks,
                cutoff,
                fixed,
                tune_seconds,
                tasks,
                splits,
                max_users,
                fits,
            )
            for task, (runs, row) in evaluated.items():
                rows, per_user = tables[task]
                rows.append(row)
                if runs[0].per_user is not None:
                    per_user[name] = [(seed, run.per_user) for seed, run in zip(seeds, runs, strict=True)]
    for name, (scored, task) in (external or {}).items():
        rows, per_user = tables[task]
        metrics = {key: float(values.mean()) for key, values in scored.per_user.items()}
        rows.append({"model": name, "train_seconds": None, "score_seconds": None, **metrics})
        per_user[name] = [(seeds[0], scored)]
    catalogue, reranked = (_table(*tables[task]) for task in ("catalogue", "ranking"))
    if reranked.results:
        catalogue.ranking = reranked
    if any(split.sampled_from for split in splits.values()):
        catalogue.sampled_from = sum(split.sampled_from or len(split.users) for split in splits.values())
    return catalogue


def _table(rows: list[dict], per_user: dict[str, list[tuple[int, PerUser]]]) -> Comparison:
    """One task's rows with their intervals and paired tests, and the number of users evaluated."""
    _add_comparisons(rows, per_user)
    evaluated = {sum(len(run.users) for _, run in runs) for runs in per_user.values()}
    return Comparison(rows, per_user, evaluated.pop() if len(evaluated) == 1 else None)


def _evaluate_model(
    bar: Progress,
    name: str,
    model: Recipe,
    data: TrainingData,
    protocol: Protocol,
    seeds: Sequence[int],
    ks: Sequence[int] | None,
    cutoff: float | int | None,
    fixed: Mapping[str, str],
    tune_seconds: float | None,
    tasks: Sequence[Task],
    splits: dict[int, Split],
    max_users: int | None,
    fits: SharedFits,
) -> dict[str, tuple[list[Run], dict]]:
    """One model's runs (one per seed) and its row per task (one fit serves every task), with a
    progress bar that moves per stage; `splits` holds each seed's split for the next models, `fits`
    the fitted models later rows will share (not used for a tuned model: its fit is its own)."""
    from allstore.personalize.evaluation import evaluate_per_user, evaluate_tasks, protocol_split, task_stages
    from allstore.personalize.evaluation_tuning import tune

    tuning = bool(tune_seconds) and bool(getattr(model, "search_space", None))
    segments = model.recipe_type == "USER_SEGMENTATION"
    stages = (
        "splitting",
        *(("tuning",) if tuning else ()),
        "training",
        *(("scoring",) if segments else task_stages(tasks)),
    )
    progress = bar.add_task(name, total=len(seeds) * len(stages), stage="waiting")
    runs: dict[str, list[Run]] = {task: [] for task in tasks}
    tunings, used = [], []
    for number, seed in enumerate(seeds):
        suffix = f" (seed {seed})" if len(seeds) > 1 else ""

        def stage(what: str, number: int = number, suffix: str = suffix) -> None:
            bar.update(progress, completed=number * len(stages) + stages.index(what), stage=what + suffix)

        chosen = {**model.default_hyperparameters, **fixed}
        try:
            if segments:
                found = {
                    tasks[0]: evaluate_per_user(model, data, chosen, protocol, seed, stage=stage, fits=fits)
                }
            else:
                if seed not in splits:  # every model ranks the same split: made once per seed
                    stage("splitting")
                    splits[seed] = protocol_split(data, protocol, seed, cutoff, max_users)
                if tuning:
                    assert tune_seconds is not None
                    stage("tuning")
                    tunings.append(
                        tune(
                            model,
                            data,
                            protocol,
                            splits[seed],
                            tune_seconds,
                            seed,
                            fixed,
                            tasks[0],
                            max_users,
                        )
                    )
                    chosen = tunings[-1].hyperparameters
                found = evaluate_tasks(
                    model,
                    data,
                    chosen,
                    protocol,
                    seed,
                    ks=ks,
                    stage=stage,
                    tasks=tasks,
                    split=splits[seed],
                    fits=None if tuning else fits,
                )
        except ValueError as error:
            raise ValueError(f"cannot evaluate {name}: {error}") from error
        for task, run in found.items():
            runs[task].append(run)
        used.append({**chosen, **(next(iter(found.values())).settled or {})})  # "auto" as it settled
        bar.update(progress, completed=(number + 1) * len(stages), stage="done")
    evaluated = {}
    for task in tasks:
        row = _row(name, runs[task])
        row["hyperparameters"] = dict(used[0])  # of the first split seed
        if tunings:
            row["tuning"] = tunings[0].describe()
        evaluated[task] = (runs[task], row)
    return evaluated


def _row(name: str, runs: Sequence[Run]) -> dict:
    """Means pooled over the seeds' users (coverage averaged over seeds), timings per split."""
    row: dict = {
        "model": name,
        "train_seconds": round(float(np.mean([run.train_seconds for run in runs])), 3),
        "score_seconds": round(float(np.mean([run.score_seconds for run in runs])), 3),
    }
    if runs[0].per_user is None:
        return row | {key: float(np.mean([run.metrics[key] for run in runs])) for key in runs[0].metrics}
    if runs[0].slices is not None:
        row["slices"] = runs[0].slices  # of the first split seed
    if runs[0].beyond_accuracy:
        row["beyond_accuracy"] = {
            key: float(np.mean([(run.beyond_accuracy or {})[key] for run in runs]))
            for key in runs[0].beyond_accuracy
        }
    for key in runs[0].metrics:
        if key in runs[0].per_user.per_user:
            row[key] = float(np.concatenate([run.per_user.per_user[key] for run in runs]).mean())
        else:
            row[key] = float(np.mean([run.metrics[key] for run in runs]))
    if len(runs) > 1:
        row["seed_std"] = {
            key: float(np.std([run.metrics[key] for run in runs], ddof=1)) for key in runs[0].metrics
        }
    return row


def _add_comparisons(rows: list[dict], per_user: dict[str, list[tuple[int, PerUser]]]) -> None:
    """Each row's 95% interval per per-user metric, and its paired difference from the best model
    on that metric with the Wilcoxon p-value (same users: the same splits for every model)."""
    from allstore.personalize.evaluation_statistics import interval, paired_p_value

    pooled = {
        name: {key: np.concatenate([run.per_user[key] for _, run in runs]) for key in runs[0][1].per_user}
        for name, runs in per_user.items()
    }
    for row in rows:
        values = pooled.get(row["model"])
        if values is None:
            continue
        row["interval_95"] = {key: list(interval(vector)) for key, vector in values.items()}
        row["vs_best"] = {}
    keys = dict.fromkeys(key for values in pooled.values() for key in values)
    for key in keys:
        candidates = [name for name, values in pooled.items() if key in values]
        best = max(candidates, key=lambda name: pooled[name][key].mean())
        for row in rows:
            if row["model"] in candidates and row["model"] != best:
                difference = pooled[row["model"]][key] - pooled[best][key]
                row["vs_best"][key] = {
                    "best": best,
                    "difference": float(difference.mean()),
                    "p_value": paired_p_value(pooled[row["model"]][key], pooled[best][key]),
                }


def short_label(metric: str) -> str:
    """`normalized_discounted_cumulative_gain_at_10` → `NDCG@10`, so the table fits a terminal."""
    for long, short in (
        ("mean_reciprocal_rank_of_users", "user MRR"),
        ("recall", "R"),
        ("normalized_discounted_cumulative_gain", "NDCG"),
        ("mean_reciprocal_rank", "MRR"),
        ("precision", "P"),
        ("ndcg", "NDCG"),
        ("hr", "HR"),
        ("mrr", "MRR"),
    ):
        if metric.startswith(long):
            return short + metric.removeprefix(long).replace("_at_", "@").replace("_percent", "%")
    return metric


PRIMARY_METRICS = ("ndcg_at_10", "normalized_discounted_cumulative_gain_at_10", "recall_at_1_percent")
SUMMARY_FIELDS = (
    "model",
    "train_seconds",
    "score_seconds",
    "interval_95",
    "vs_best",
    "seed_std",
    "beyond_accuracy",
    "slices",
    "hyperparameters",
    "tuning",
    "manifest",
)
BEYOND_LABELS = {
    "catalogue_coverage": "catalogue",
    "gini": "Gini",
    "mean_popularity": "mean popularity",
    "long_tail_share": "long tail",
    "novelty": "novelty",
    "intra_list_diversity": "diversity",
}


def primary_metric(names: Sequence[str]) -> str | None:
    """The metric the table gives intervals for: NDCG@10 (segment recipes: recall at 1%), else the
    first NDCG the run has."""
    return next(
        (name for name in PRIMARY_METRICS if name in names),
        next((name for name in names if short_label(name).startswith("NDCG@")), None),
    )


def _print_table(report: dict) -> None:
    evaluated = report.get("users_evaluated")
    seeds = report.get("seeds", [0])
    title = (
        f"{report['dataset']}: {report['users']:,} users, {report['items']:,} items, "
        f"protocol {report['protocol']}"
        + (f", {evaluated:,} users evaluated" if evaluated else "")
        + (
            f" (a sample of {sampled:,}: --max-users)"
            if (sampled := report.get("users_sampled_from"))
            else ""
        )
        + (f" (seeds {seeds[0]}-{seeds[-1]} pooled)" if len(seeds) > 1 else "")
    )
    primary = primary_metric(
        list(dict.fromkeys(name for row in _all_rows(report) for name in row if name not in SUMMARY_FIELDS))
    )
    console = Console()
    if not console.is_terminal:  # piped into a file: no terminal width to respect, so do not squeeze
        console = Console(width=WIDE_OUTPUT)
    if report["results"]:
        console.print(_accuracy_table(title, report["results"], primary))
    beyond = [row for row in report["results"] if row.get("beyond_accuracy")]
    if beyond:
        console.print(_beyond_table(beyond))
    sliced = [row for row in report["results"] if row.get("slices")]
    if sliced and primary is not None:
        console.print(_slices_table(sliced, primary))
    ranking = report.get("ranking")
    if ranking:
        users = ranking.get("users_evaluated")
        console.print(
            _accuracy_table(
                f"Re-ranking candidate lists ({ranking['candidates']['rule']})"
                + (f", {users:,} users evaluated" if users else ""),
                ranking["results"],
                primary,
            )
        )


def _accuracy_table(title: str, rows: list[dict], primary: str | None) -> Table:
    """Every metric of the rows, the primary one's interval and paired test, and both timings."""
    metric_names = list(dict.fromkeys(name for row in rows for name in row if name not in SUMMARY_FIELDS))
    uncertain = primary is not None and any(primary in row.get("interval_95", {}) for row in rows)
    table = Table(title=title)
    table.add_column("model", no_wrap=True)
    for name in metric_names:
        table.add_column(short_label(name), justify="right")
    if uncertain:
        assert primary is not None
        table.add_column(f"{short_label(primary)} 95% CI", justify="right", no_wrap=True)
        table.add_column("Δ best", justify="right")
        table.add_column("p (Wilcoxon)", justify="right")
    table.add_column("train s", justify="right")
    table.add_column("score s", justify="right")
    for row in rows:
        cells = [f"{row[name]:.4f}" if name in row else "–" for name in metric_names]
        if uncertain:
            low, high = row.get("interval_95", {}).get(primary, (None, None))
            versus = row.get("vs_best", {}).get(primary)
            cells.append("–" if low is None else f"{low:.4f}–{high:.4f}")
            cells.append(
                "best"
                if versus is None and low is not None
                else f"{versus['difference']:+.4f}"
                if versus
                else "–"
            )
            cells.append(f"{versus['p_value']:.2g}" if versus else "–")
        timings = (
            f"{row[key]:.2f}" if row[key] is not None else "–" for key in ("train_seconds", "score_seconds")
        )
        table.add_row(row["model"], *cells, *timings)
    return table


def _beyond_table(rows: list[dict]) -> Table:
    """What the lists recommend, at K=10 (or the smallest K the run has)."""
    cutoffs = {int(key.rsplit("_", 1)[1]) for row in rows for key in row["beyond_accuracy"]}
    k = 10 if 10 in cutoffs else min(cutoffs)
    keys = [
        f"{name}_at_{k}"
        for name in BEYOND_LABELS
        if any(f"{name}_at_{k}" in row["beyond_accuracy"] for row in rows)
    ]
    table = Table(title=f"What the top-{k} lists recommend")
    table.add_column("model", no_wrap=True)
    for key in keys:
        table.add_column(f"{BEYOND_LABELS[key.rsplit('_at_', 1)[0]]}@{k}", justify="right")
    for row in rows:
        values = row["beyond_accuracy"]
        table.add_row(row["model"], *(f"{values[key]:.4g}" if key in values else "–" for key in keys))
    return table


def _slices_table(rows: list[dict], primary: str) -> Table:
    """The primary metric by input history length, for cold users (temporal), and the recall of
    warm and cold relevant items at the primary metric's K."""
    from allstore.personalize.evaluation_slices import slices_table

    found = slices_table(rows, primary)
    assert found is not None
    header, cells = found
    table = Table(title=f"{short_label(primary)} by segment (history: interactions of input)")
    table.add_column("model", no_wrap=True)
    for name in header:
        table.add_column(name, justify="right")
    for model, row in cells:
        table.add_row(model, *row)
    return table


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8083,
    state_dir: Annotated[Path, typer.Option(help="Where resources, data, events and models live.")] = Path(
        ".allstore/personalize"
    ),
    credentials: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="The key pair requests must be signed with (a store's <state-dir>/credentials.json); "
            "default: <state-dir>/credentials.json, made at the first start.",
        ),
    ] = None,
) -> None:
    """Serve personalize, personalize-runtime and personalize-events on 127.0.0.1 until Ctrl-C or SIGTERM.

    Only requests signed with the service's key pair are answered; it prints them as `export` lines.
    """
    from allstore.credentials import CREDENTIALS_FILE, StoreCredentials, export_lines
    from allstore.personalize.server import PersonalizeServer  # the models' libraries load slowly

    stopping = threading.Event()
    # Ctrl-C interrupts also when started from a script in the background (the shell leaves SIGINT
    # ignored there), as `allstore local up` does; TERM stops too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    key_pair = StoreCredentials.read_file(credentials) if credentials is not None else None
    server = PersonalizeServer(state_dir, port=port, credentials=key_pair)
    with refused_in_one_line(port):  # the state directory or the port is another's: nothing was touched
        url = server.start()
    assert server.credentials is not None
    typer.echo(
        f"Personalize service at {url} (state in {state_dir}); use it as endpoint_url, signed with "
        f"the key pair in {credentials or state_dir / CREDENTIALS_FILE}:"
    )
    exports = {
        **server.credentials.environment(),
        **{
            f"AWS_ENDPOINT_URL_{name}": url
            for name in ("PERSONALIZE", "PERSONALIZE_RUNTIME", "PERSONALIZE_EVENTS")
        },
    }
    for line in export_lines(exports):
        typer.echo(f"  {line}")
    try:
        typer.echo("Ctrl-C stops it.")  # inside: a Ctrl-C right after the line still stops cleanly
        while not stopping.wait(0.5):  # a timed wait, so Ctrl-C is noticed promptly
            pass
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping: finishing running jobs")
        server.stop()
