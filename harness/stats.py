"""Intervals for reported figures (scipy). Every metric in results.json carries one."""
from __future__ import annotations

import math
from typing import Sequence

from scipy import stats as st

Z95 = st.norm.ppf(0.975)


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


def proportion(flags: Sequence[bool]) -> dict:
    n, k = len(flags), sum(bool(f) for f in flags)
    lo, hi = wilson(k, n)
    return {"value": k / n if n else 0.0, "ci_low": lo, "ci_high": hi, "method": "wilson",
            "k": k, "n": n}


def mean_t(values: Sequence[float]) -> dict:
    """Mean with a t interval (a seeded bootstrap comes with the statistics issue)."""
    n = len(values)
    if n == 0:
        return {"value": 0.0, "ci_low": 0.0, "ci_high": 1.0, "method": "t", "n": 0}
    mean = sum(values) / n
    if n == 1:
        return {"value": mean, "ci_low": 0.0, "ci_high": 1.0, "method": "t", "n": 1}
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = st.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return {"value": mean, "ci_low": max(0.0, mean - half), "ci_high": min(1.0, mean + half),
            "method": "t", "n": n}
