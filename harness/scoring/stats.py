"""Intervals and tests for every reported figure (scipy). Fractions in [0, 1] throughout.

- one accuracy: Wilson score (default) or Clopper-Pearson exact interval;
- any per-sample metric (hierarchical score): seeded percentile bootstrap;
- two runs on the same samples: exact McNemar (binomial on discordant pairs; chi-square with
  continuity correction for large counts) and the paired difference with a Wald interval;
- two runs on different samples (ImageNet vs ImageNet-V2): Newcombe's hybrid score interval for
  the difference of two independent proportions (Newcombe 1998, method 10).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975); scipy itself is imported only when needed
BOOTSTRAP_SEED = 0
EXACT_MCNEMAR_MAX = 10_000  # discordant pairs above this use the chi-square approximation


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n == 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (conservative) binomial interval from beta quantiles."""
    from scipy import stats as st

    if n == 0:
        return 0.0, 1.0
    lo = 0.0 if k == 0 else float(st.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(st.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def accuracy(k: int, n: int, method: str = "wilson") -> dict:
    """k of n right, with its 95% interval: the one shape every reported accuracy takes."""
    lo, hi = (wilson if method == "wilson" else clopper_pearson)(k, n)
    return {"value": k / n if n else 0.0, "ci_low": lo, "ci_high": hi, "method": method,
            "k": k, "n": n}


def proportion(flags: Sequence[bool], method: str = "wilson") -> dict:
    return accuracy(sum(bool(f) for f in flags), len(flags), method)


def bootstrap_mean(values: Sequence[float], n_resamples: int = 2000,
                   seed: int = BOOTSTRAP_SEED) -> dict:
    """Mean with a seeded percentile-bootstrap 95% interval.

    Resampling n values with replacement is drawing multinomial counts over the distinct values,
    which is exact and fast for per-sample scores that take few distinct values (50k samples in
    milliseconds instead of an n x resamples matrix)."""
    n = len(values)
    if n == 0:
        return {"value": 0.0, "ci_low": 0.0, "ci_high": 1.0, "method": "bootstrap", "n": 0}
    uniq, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    mean = float(np.dot(uniq, counts) / n)
    if len(uniq) == 1:
        return {"value": mean, "ci_low": mean, "ci_high": mean, "method": "bootstrap", "n": n}
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=n_resamples) @ uniq / n
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return {"value": mean, "ci_low": float(lo), "ci_high": float(hi), "method": "bootstrap",
            "n": n}


@dataclass
class Paired:
    """Two runs on the same sample ids: a = run A correct, b = run B correct."""

    n_common: int
    a_only: int
    b_only: int
    p_value: float
    test: str
    diff: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict:
        return asdict(self)


def mcnemar(a_only: int, b_only: int) -> tuple[float, str]:
    """Two-sided McNemar p-value: exact binomial, or chi-square (continuity-corrected) when the
    discordant count is large."""
    from scipy import stats as st

    m = a_only + b_only
    if m == 0:
        return 1.0, "exact"
    if m <= EXACT_MCNEMAR_MAX:
        return float(st.binomtest(a_only, m, 0.5).pvalue), "exact"
    chi2 = (abs(a_only - b_only) - 1) ** 2 / m
    return float(st.chi2.sf(chi2, 1)), "chi-square"


def paired(a: Sequence[bool], b: Sequence[bool]) -> Paired:
    """McNemar and accuracy difference A − B with a Wald interval for paired proportions."""
    if len(a) != len(b) or not a:
        raise ValueError("paired comparison needs two equally long, non-empty lists")
    n = len(a)
    a_only = sum(1 for x, y in zip(a, b) if x and not y)
    b_only = sum(1 for x, y in zip(a, b) if y and not x)
    p, test = mcnemar(a_only, b_only)
    diff = (a_only - b_only) / n
    se = math.sqrt(max(a_only + b_only - (a_only - b_only) ** 2 / n, 0.0)) / n
    return Paired(n, a_only, b_only, p, test, diff, max(-1.0, diff - Z95 * se),
                  min(1.0, diff + Z95 * se))


def diff_independent(k1: int, n1: int, k2: int, n2: int) -> dict:
    """p1 − p2 for independent samples with Newcombe's hybrid Wilson score interval."""
    if n1 == 0 or n2 == 0:
        raise ValueError("difference of proportions needs n > 0 on both sides")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return {"value": d, "ci_low": d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            "ci_high": d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), "method": "newcombe"}
