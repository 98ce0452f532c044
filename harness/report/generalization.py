"""ImageNet -> ImageNet-V2 generalization: drop, the CNN logit-linear fit, effective robustness.

Following Recht et al. 2019 and Taori et al. 2020: over standard ImageNet-trained models,
logit(V2 accuracy) is linear in logit(ImageNet accuracy). A model's effective robustness is its
observed V2 accuracy minus what that line predicts from its ImageNet accuracy (in probability
space, after the inverse logit). Intervals propagate the run's binomial sampling error by the
delta method; the fit's own uncertainty (85 models, r = 0.998) is small and not included.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

from scipy import stats as st

from harness.report.baselines import TESTBED_COLUMNS, testbed
from harness.scoring.stats import Z95, diff_independent, wilson

EXCLUDED_NAME_PARTS = ("subsample", "aws", "batch64")  # imagenet-testbed's fit selection
MIN_VAL = 0.55


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@dataclass(frozen=True)
class Fit:
    variant: str
    slope: float
    intercept: float
    r: float
    n: int
    models: tuple[str, ...]

    def predict(self, val: float) -> float:
        """Predicted V2 accuracy for an ImageNet accuracy (fractions; 0 and 1 map to 0 and 1)."""
        if val <= 0.0 or val >= 1.0:
            return float(val >= 1.0)
        return sigmoid(self.slope * logit(val) + self.intercept)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("models")
        return d


def fit_models(variant: str) -> list[tuple[str, float, float]]:
    """(model, val, v2) for standard-training models with val >= 55% (testbed rule)."""
    col = TESTBED_COLUMNS[variant]
    out = []
    for r in testbed():
        name = r["model"]
        if r["standard"] != "1" or any(p in name for p in EXCLUDED_NAME_PARTS):
            continue
        if not r["top1_val"] or not r[col]:
            continue  # rows with missing values are skipped, not guessed
        val, v2 = float(r["top1_val"]) / 100, float(r[col]) / 100
        if val >= MIN_VAL:
            out.append((name, val, v2))
    return out


@lru_cache(maxsize=8)
def baseline_fit(variant: str = "matched-frequency") -> Fit:
    """OLS of logit(V2) on logit(ImageNet) over the standard CNN baselines (scipy linregress)."""
    rows = fit_models(variant)
    res = st.linregress([logit(v) for _, v, _ in rows], [logit(w) for _, _, w in rows])
    return Fit(variant, float(res.slope), float(res.intercept), float(res.rvalue), len(rows),
               tuple(m for m, _, _ in rows))


def drop(k_in: int, n_in: int, k_v2: int, n_v2: int) -> dict:
    """acc(ImageNet) − acc(V2) with Newcombe's interval (different images: independent)."""
    return diff_independent(k_in, n_in, k_v2, n_v2)


def effective_robustness(k_in: int, n_in: int, k_v2: int, n_v2: int,
                         variant: str = "matched-frequency") -> dict:
    """Observed V2 accuracy − fit prediction, with a delta-method 95% interval.

    For the interval, accuracies of exactly 0 or 1 are moved half a sample inward so the logit
    stays finite; the point estimate uses the observed values."""
    if n_in == 0 or n_v2 == 0:
        raise ValueError("effective robustness needs n > 0 for both runs")
    f = baseline_fit(variant)
    p_in, p_v2 = k_in / n_in, k_v2 / n_v2
    er = p_v2 - f.predict(p_in)
    q = min(max(p_in, 0.5 / n_in), 1 - 0.5 / n_in)
    pred = f.predict(q)
    slope_at = pred * (1 - pred) * f.slope / (q * (1 - q))  # d predict / d val
    var = p_v2 * (1 - p_v2) / n_v2 + slope_at ** 2 * q * (1 - q) / n_in
    half = Z95 * math.sqrt(var)
    return {"value": er, "ci_low": er - half, "ci_high": er + half, "method": "delta",
            "predicted_v2": f.predict(p_in), "fit": f.to_dict()}


def relative_robustness(k_v2: int, n_v2: int, reference_v2: float) -> dict:
    """Taori et al.'s relative robustness: the model's V2 accuracy minus a reference model's
    (e.g. the published ResNet-50), the reference taken as fixed; Wilson interval shifted."""
    lo, hi = wilson(k_v2, n_v2)
    p = k_v2 / n_v2
    return {"value": p - reference_v2, "ci_low": lo - reference_v2, "ci_high": hi - reference_v2,
            "method": "wilson"}
