"""Uncertainty of offline metrics: bootstrap intervals over users and paired tests between models.

A table of means from one split says nothing about how much a ranking of models would move with
another sample of users. Metrics are kept per user, so scipy's bootstrap gives each mean a 95%
interval, and models scored on the same users are compared pairwise (Wilcoxon signed-rank test on
the per-user differences), which is far more sensitive than comparing two intervals.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 1000


def interval(values: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """The 95% percentile-bootstrap interval of the mean of `values` (a point for fewer than two)."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2 or np.all(values == values[0]):
        mean = float(values.mean()) if len(values) else float("nan")
        return mean, mean
    result = stats.bootstrap(
        (values,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        batch=max(1, 2_000_000 // len(values)),  # bounded memory on tens of thousands of users
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def paired_p_value(values: np.ndarray, reference: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value that `values` and `reference` (the same users, in the
    same order) differ; 1.0 when they never differ."""
    differences = np.asarray(values, dtype=np.float64) - np.asarray(reference, dtype=np.float64)
    if not np.any(differences):
        return 1.0
    return float(stats.wilcoxon(differences).pvalue)
