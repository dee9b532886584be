"""Data diagnostics for Personalize datasets (pandas 2): the original workshop's checks and plots.

`diagnose(interactions, users=None, items=None)` prints missing, duplicate and repeat rates,
describes every column, plots activity patterns, time between a user's events, long-tail fits and
the day-to-day shift in what is popular, and warns where the data is likely to train poorly.

Fixed from the original: the log-log fit reported the root mean square of the fit's *coefficients*
as its error and fitted whatever order the values came in; here values are ranked (largest first)
and the error is the RMSE of the residuals in log10 space. `Series.iteritems` (gone in pandas 2)
and `groupby(...).apply(np.ptp)` are replaced.
"""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

INTERACTIONS_REQUIRED_FIELDS = ["USER_ID", "ITEM_ID", "TIMESTAMP"]
NA_RATE_THRESHOLD = 0.1
DUP_RATE_THRESHOLD = 0.1
REPEAT_RATE_THRESHOLD = 0.5
COLDSTART_RATE_THRESHOLD = 0.1
# log-log fit: only trusted with enough categories and a good fit; slopes outside are warned about
LOGLOG_RMSE_THRESHOLD = 5
LOGLOG_MIN_CATS = 30
LOGLOG_HEAD_HEAVY = -2
LOGLOG_HEAVY_TAIL = -0.75
CATS_FREQ_HEAD = 10
EPS_GREEDY = 0.01  # smoothing so divergences stay finite on days an item is absent
TIMEDELTA_REFERENCES = [
    ("min", 60),
    ("hour", 3600),
    ("day", 3600 * 24),
    ("week", 3600 * 24 * 7),
    ("month", 3600 * 24 * 31),
    ("year", 3600 * 24 * 365),
]
ROLLING_HISTORY_LEN = [1, 7, 31, 365]
TEMPORAL_TOP_ITEMS = 1000  # the day-by-item table is limited to the most popular items


def loglog_fit(values: pd.Series | np.ndarray) -> tuple[float, float, float]:
    """Fit log10(value) = intercept + slope * log10(rank) over the positive values ranked largest
    first; returns (slope, intercept, rmse of the residuals in log10 units)."""
    ranked = np.sort(np.asarray(values, dtype=float))[::-1]
    ranked = ranked[ranked > 0]
    if len(ranked) < 2:
        raise ValueError("a log-log fit needs at least two positive values")
    log_rank = np.log10(np.arange(1, len(ranked) + 1))
    log_value = np.log10(ranked)
    (slope, intercept), residuals, *_ = np.polyfit(log_rank, log_value, deg=1, full=True)
    squared_error = residuals[0] if len(residuals) else 0.0
    return float(slope), float(intercept), float(np.sqrt(squared_error / len(ranked)))


def plot_loglog(values: pd.Series | np.ndarray, name: str = "", show: bool = True):
    """Plot ranked values against their rank on log-log axes with the fitted power law."""
    slope, intercept, rmse = loglog_fit(values)
    ranked = np.sort(np.asarray(values, dtype=float))[::-1]
    ranked = ranked[ranked > 0]
    rank = np.arange(1, len(ranked) + 1)
    plt.loglog(rank, ranked)
    axis = plt.axis()
    plt.loglog(rank, 10**intercept * rank**slope, ":")
    plt.axis(axis)
    plt.grid()
    plt.title(f"{name} loglog, {10**intercept:.2e} * x^({slope:.2f}), rmse={rmse:.2f}")
    plt.xlabel("rank (number of examples with value >= threshold)")
    plt.ylabel("value threshold")
    if show:
        plt.show()
    return slope, intercept, rmse


def describe_categorical(series: pd.Series, name: str = ""):
    """Top values of a (`|`-separated) categorical column and its long-tail shape."""
    print(f"\n=== {name} top {CATS_FREQ_HEAD} categories ===")
    categories = series.dropna().astype(str).str.split("|").explode()
    frequencies = categories.value_counts()
    print(frequencies.head(CATS_FREQ_HEAD))
    if len(frequencies) <= LOGLOG_MIN_CATS:
        return None
    slope, intercept, rmse = plot_loglog(frequencies, name)
    if rmse < LOGLOG_RMSE_THRESHOLD:
        if slope > LOGLOG_HEAVY_TAIL:
            warnings.warn(
                f"Heavy-tail {name} distributions are usually hard to learn (slope={slope:.2f})! "
                f"Consider rolling up {name} or dropping its rare values.",
                stacklevel=2,
            )
        elif slope < LOGLOG_HEAD_HEAVY:
            warnings.warn(
                f"Head-heavy {name} distributions are usually uninteresting or spammy (slope={slope:.2f})! "
                f"Consider using finer-grade {name} or thresholding its dominant values.",
                stacklevel=2,
            )
    return slope, intercept, rmse


def describe_dataframe(frame: pd.DataFrame, name: str = "") -> dict[str, tuple[float, float, float]]:
    """pandas' description plus the categorical analysis of every text column."""
    print(f"\n=== Describe {name} ===\n")
    print(frame.describe())
    text_columns = list(frame.select_dtypes(include=["object", "string"]).columns)  # pandas 2 and 3
    if text_columns:
        print(frame[text_columns].describe())
    summary = {}
    for column in text_columns:
        fit = describe_categorical(frame[column], column)
        if fit is not None:
            summary[column] = fit
    return summary


def daily_divergence(daily_count: pd.DataFrame, alpha: float, history_days: int) -> pd.Series:
    """Rényi divergence of order `alpha` between each day's item distribution and the rolling
    history before it (alpha 0: the share of today's events on items unseen in the history)."""
    items = daily_count.shape[1]
    history = daily_count.rolling(history_days, min_periods=1).sum().iloc[:-1].to_numpy()
    today = daily_count.iloc[1:]
    seen = history > 0

    def smoothed(counts: np.ndarray) -> np.ndarray:
        totals = counts.sum(axis=1, keepdims=True) + 1e-20
        return counts / totals * (1 - EPS_GREEDY) + EPS_GREEDY / items

    p, q = smoothed(history), smoothed(today.to_numpy())
    if alpha == 1:
        divergence = (p * (np.log(p) - np.log(q))).sum(axis=1)
    elif alpha == 0:
        divergence = np.log(np.clip((q * seen).sum(axis=1), 1e-20, np.inf)) / (alpha - 1)
    else:
        divergence = np.log((p**alpha / q ** (alpha - 1)).sum(axis=1)) / (alpha - 1)
    return pd.Series(divergence, index=today.index)


def _plot_with_time_references(values: pd.Series, name: str) -> None:
    plot_loglog(values, name, show=False)
    low, high = plt.ylim()
    for label, seconds in TIMEDELTA_REFERENCES:
        if low < seconds < high:
            plt.plot(plt.xlim(), [seconds, seconds], "--")
            plt.text(plt.xlim()[0], seconds, label)
    plt.show()


def diagnose_interactions(interactions: pd.DataFrame) -> dict[str, float]:
    """Quality rates, descriptions, activity patterns and temporal shift; returns the rates."""
    print(f"\n=== Interactions table, original shape={interactions.shape} ===\n")
    frame = interactions.copy()
    frame["ITEM_ID"] = frame["ITEM_ID"].astype(str)
    frame["USER_ID"] = frame["USER_ID"].astype(str)

    na_rate = float(frame[INTERACTIONS_REQUIRED_FIELDS].isnull().any(axis=1).mean())
    print("missing rate in fields", INTERACTIONS_REQUIRED_FIELDS, na_rate)
    if na_rate > NA_RATE_THRESHOLD:
        warnings.warn("High data missing rate for required fields!", stacklevel=2)
    frame = frame.dropna(subset=INTERACTIONS_REQUIRED_FIELDS)
    print("dropna shape", frame.shape)

    dup_rate = float((frame.groupby(INTERACTIONS_REQUIRED_FIELDS).size() - 1).sum() / len(frame))
    print("duplication rate", dup_rate)
    if dup_rate > DUP_RATE_THRESHOLD:
        warnings.warn(
            f"High duplication rate ({dup_rate:.1%})! Only one event can be taken at the same "
            "(user, item, timestamp).",
            stacklevel=2,
        )
    frame = frame.drop_duplicates(subset=INTERACTIONS_REQUIRED_FIELDS)
    print("drop_duplicates shape", frame.shape)

    repeat_rate = float((frame.groupby(["USER_ID", "ITEM_ID"]).size() - 1).sum() / len(frame))
    print("user item repeat rate", repeat_rate)
    if repeat_rate > REPEAT_RATE_THRESHOLD:
        warnings.warn(
            f"High rate of repeated consumptions ({repeat_rate:.1%})! Consider keeping only the last "
            "interaction of a user-item pair, or check the ITEM_IDs for collisions.",
            stacklevel=2,
        )

    describe_dataframe(frame, "interactions table")

    print("\n=== Sequence analysis ===\n")
    frame.index = pd.to_datetime(frame["TIMESTAMP"], unit="s")
    frame = frame.sort_index()
    print("\n=== Hourly activity pattern ===")
    print(frame.groupby(frame.index.hour).size())
    print("\n=== Day of week activity pattern ===")
    print(frame.groupby(frame.index.dayofweek).size())
    for name, key in (
        ("date", frame.index.date),
        ("hour", frame.index.hour),
        ("dayofweek", frame.index.dayofweek),
    ):
        plt.plot(frame.groupby(key).size())
        plt.gcf().autofmt_xdate()
        plt.title(f"Activity pattern by {name}")
        plt.grid()
        plt.show()

    print("\n=== session time delta describe ===")
    time_deltas = frame.groupby("USER_ID")["TIMESTAMP"].diff().dropna()
    print(time_deltas.describe())
    if (time_deltas > 0).sum() >= 2:
        _plot_with_time_references(time_deltas, "session time delta")

    time_spans = frame.groupby("USER_ID")["TIMESTAMP"].agg(lambda stamps: stamps.max() - stamps.min())
    print("=== user time span describe ===")
    print(time_spans.describe())
    if (time_spans > 0).sum() >= 2:
        _plot_with_time_references(time_spans, "user time span")

    print("\n=== Temporal shift analysis ===\n")
    top_items = frame["ITEM_ID"].value_counts().index[:TEMPORAL_TOP_ITEMS]
    popular = frame[frame["ITEM_ID"].isin(top_items)]
    daily_count = popular.groupby([popular.index.normalize(), "ITEM_ID"]).size().unstack(fill_value=0)
    daily_count = daily_count.reindex(
        pd.date_range(daily_count.index.min(), daily_count.index.max()), fill_value=0
    )
    if len(daily_count) > 1:
        for alpha, title in ((0, "Daily percent new items"), (1, "Daily KL divergence")):
            for history_days in ROLLING_HISTORY_LEN:
                divergence = daily_divergence(daily_count, alpha, history_days)
                shown = 1 - np.exp(-divergence) if alpha == 0 else divergence
                plt.plot(shown, ".-", label=f"history={history_days} days")
            plt.title(f"{title} with rolling history")
            plt.gcf().autofmt_xdate()
            plt.legend()
            plt.show()

    per_day = frame.groupby([frame.index.date, "ITEM_ID"]).size().rename("size").reset_index(level="ITEM_ID")
    per_day = per_day.sort_values("size", ascending=False)
    for top in (1, 5):
        print(f"=== number of days when an item stays in daily top-{top} ===")
        print(
            per_day.groupby(level=0).head(top).groupby("ITEM_ID").size().sort_values(ascending=False).head(10)
        )

    return {"missing_rate": na_rate, "duplicate_rate": dup_rate, "repeat_rate": repeat_rate}


def _diagnose_metadata(interactions: pd.DataFrame, table: pd.DataFrame, id_column: str, kind: str) -> None:
    print(f"\n=== {kind.capitalize()}s table, original shape={table.shape} ===\n")
    table = table.copy()
    table[id_column] = table[id_column].astype(str)
    table = table.set_index(id_column)
    known = set(table.index)
    missing_rate = 1 - interactions[id_column].astype(str).isin(known).mean()
    print(f"Missing rate of all {kind} meta-data", missing_rate)
    if missing_rate > NA_RATE_THRESHOLD:
        warnings.warn(f"High missing rate of all {kind} meta-data ({missing_rate:.1%})!", stacklevel=3)
    coldstart_rate = 1 - table.index.isin(set(interactions[id_column].astype(str))).mean()
    print(f"{kind.capitalize()} coldstart rate", coldstart_rate)
    if coldstart_rate > COLDSTART_RATE_THRESHOLD:
        warnings.warn(f"High {kind} coldstart rate ({coldstart_rate:.1%})!", stacklevel=3)
    describe_dataframe(table, f"{kind}s table")
    if "CREATION_TIMESTAMP" in table:
        created = pd.to_datetime(table["CREATION_TIMESTAMP"], unit="s")
        plt.plot(created.groupby(created.dt.date).size())
        plt.gcf().autofmt_xdate()
        plt.title(f"daily {kind} creation pattern")
        plt.grid()
        plt.show()


def diagnose(
    interactions: pd.DataFrame, users: pd.DataFrame | None = None, items: pd.DataFrame | None = None
) -> dict[str, float]:
    """The full report: interactions, then users and items when given. Returns the interaction rates."""
    for title, table in (("INTERACTIONS", interactions), ("USERS", users), ("ITEMS", items)):
        print("########################################")
        if table is None:
            print(f"# {title} TABLE NOT FOUND")
        else:
            print(f"# DIAGNOSING {title} TABLE, SAMPLE:")
            print("########################################")
            print(table.sample(min(len(table), 10), random_state=0))
        print("########################################")
    rates = diagnose_interactions(interactions)
    if users is not None:
        _diagnose_metadata(interactions, users, "USER_ID", "user")
    if items is not None:
        _diagnose_metadata(interactions, items, "ITEM_ID", "item")
    return rates
