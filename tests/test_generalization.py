"""Statistics and generalization figures checked against independent scipy computations and the
published values in the shipped baseline tables."""
import csv
import math

import numpy as np
import pytest
from scipy import stats as st

from harness.report.baselines import cnn_baselines, published_vlms
from harness.report.generalization import (baseline_fit, drop, effective_robustness, logit,
                                    relative_robustness)
from harness.resources import resource_dir
from harness.scoring.stats import (bootstrap_mean, clopper_pearson, diff_independent, mcnemar, paired,
                           wilson)


@pytest.mark.parametrize("k,n", [(0, 7), (3, 10), (10, 10), (500, 1000), (1, 50000)])
def test_binomial_intervals_match_scipy(k, n):
    for method, fn in (("wilson", wilson), ("exact", clopper_pearson)):
        ci = st.binomtest(k, n).proportion_ci(0.95, method=method)
        lo, hi = fn(k, n)
        assert lo == pytest.approx(ci.low, abs=1e-9) and hi == pytest.approx(ci.high, abs=1e-9)


def test_mcnemar_exact_and_chi_square_match_scipy():
    p, test = mcnemar(12, 4)
    assert test == "exact" and p == pytest.approx(st.binomtest(12, 16, 0.5).pvalue, abs=1e-12)
    p, test = mcnemar(6000, 5500)
    assert test == "chi-square"
    assert p == pytest.approx(st.chi2.sf((500 - 1) ** 2 / 11500, 1), abs=1e-12)
    assert mcnemar(0, 0) == (1.0, "exact")


def test_paired_difference():
    a = [True] * 60 + [False] * 40
    b = [True] * 50 + [False] * 10 + [True] * 5 + [False] * 35
    res = paired(a, b)
    assert (res.n_common, res.a_only, res.b_only) == (100, 10, 5)
    assert res.diff == pytest.approx(0.05)
    se = math.sqrt(10 + 5 - 25 / 100) / 100
    assert res.ci_low == pytest.approx(0.05 - st.norm.ppf(0.975) * se, abs=1e-12)
    with pytest.raises(ValueError):
        paired([], [])


def test_newcombe_interval_reproduces_the_published_example():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80 -> +0.0524 to +0.3339
    res = diff_independent(56, 70, 48, 80)
    assert res["value"] == pytest.approx(0.2)
    assert res["ci_low"] == pytest.approx(0.0524, abs=5e-4)
    assert res["ci_high"] == pytest.approx(0.3339, abs=5e-4)


def test_bootstrap_is_seeded_and_agrees_with_scipy():
    rng = np.random.default_rng(1)
    vals = rng.choice([0.0, 0.3, 0.7, 1.0], size=3000, p=[0.4, 0.1, 0.2, 0.3]).tolist()
    a, b = bootstrap_mean(vals), bootstrap_mean(vals)
    assert a == b and a["value"] == pytest.approx(np.mean(vals))
    ref = st.bootstrap((np.array(vals),), np.mean, method="percentile", n_resamples=4000,
                       rng=np.random.default_rng(0)).confidence_interval
    assert a["ci_low"] == pytest.approx(ref.low, abs=0.004)
    assert a["ci_high"] == pytest.approx(ref.high, abs=0.004)
    assert bootstrap_mean([0.5] * 10)["ci_low"] == 0.5


def _testbed():
    with (resource_dir("leaderboards") / "baselines" / "imagenet_testbed_top1.csv").open() as f:
        return {r["model"]: r for r in csv.DictReader(f)}


def test_fit_reproduces_the_published_line_and_an_independent_regression():
    fit = baseline_fit("matched-frequency")
    assert fit.n == 85 and fit.slope == pytest.approx(0.9232, abs=1e-4)
    assert fit.intercept == pytest.approx(-0.4977, abs=1e-4) and fit.r == pytest.approx(0.998, abs=1e-3)
    rows = [r for r in _testbed().values() if r["used_in_er_fit"] == "1"]
    x = np.log(np.array([float(r["top1_val"]) for r in rows]) /
               (100 - np.array([float(r["top1_val"]) for r in rows])))
    y = np.log(np.array([float(r["top1_imagenetv2_matched_frequency"]) for r in rows]) /
               (100 - np.array([float(r["top1_imagenetv2_matched_frequency"]) for r in rows])))
    slope, intercept = np.polyfit(x, y, 1)
    assert fit.slope == pytest.approx(slope, abs=1e-9)
    assert fit.intercept == pytest.approx(intercept, abs=1e-9)
    assert sorted(fit.models) == sorted(r["model"] for r in rows)
    for variant in ("threshold0.7", "top-images"):
        assert baseline_fit(variant).r > 0.99


@pytest.mark.parametrize("model,expected", [("resnet50", -0.74), ("resnet50_clip_zeroshot", 5.79),
                                            ("vit_b_32_clip_zeroshot", 5.63)])
def test_effective_robustness_matches_the_testbed(model, expected):
    r = _testbed()[model]
    val, v2 = float(r["top1_val"]) / 100, float(r["top1_imagenetv2_matched_frequency"]) / 100
    er = v2 - baseline_fit().predict(val)
    assert 100 * er == pytest.approx(expected, abs=0.01)
    assert 100 * er == pytest.approx(float(r["effective_robustness"]), abs=0.01)


def test_effective_robustness_of_a_run_with_interval_and_extremes():
    res = effective_robustness(7613, 10000, 6321, 10000)
    assert 100 * res["value"] == pytest.approx(-0.74, abs=0.01)
    assert res["ci_low"] < res["value"] < res["ci_high"]
    assert res["ci_high"] - res["ci_low"] == pytest.approx(2 * 1.96 * 0.0063, abs=0.003)
    for k_in, k_v2 in ((0, 0), (100, 100), (0, 100)):  # logit infinite at 0 and 1: finite out
        res = effective_robustness(k_in, 100, k_v2, 100)
        assert all(math.isfinite(res[k]) for k in ("value", "ci_low", "ci_high"))
    with pytest.raises(ValueError):
        effective_robustness(0, 0, 1, 10)


def test_drop_and_relative_robustness():
    d = drop(7613, 10000, 6321, 10000)
    assert d["value"] == pytest.approx(0.1292) and d["ci_low"] < 0.1292 < d["ci_high"]
    rr = relative_robustness(6500, 10000, 0.6321)
    assert rr["value"] == pytest.approx(0.0179)


def test_shipped_baselines_cover_the_classics_with_provenance():
    rows = {b.model: b for b in cnn_baselines()}
    for m in ("alexnet", "vgg16", "resnet18", "resnet50", "resnet101", "resnet152",
              "densenet121", "inception_v3", "mobilenet_v2", "efficientnet_b0",
              "vit_base_patch16_224"):
        assert m in rows and rows[m].source
    assert rows["resnet50"].val == pytest.approx(0.7613, abs=5e-4)
    assert rows["resnet50"].v2["matched-frequency"] == pytest.approx(0.6333, abs=5e-4)
    assert any(b.kind == "clip" for b in rows.values())
    vlms = {b.model: b for b in published_vlms()}
    assert vlms["LLaVA1.5-7B"].val == pytest.approx(0.228) and "arXiv" in vlms["LLaVA1.5-7B"].source
    assert logit(0.5) == 0.0


def test_z95_constant_is_scipys():
    from harness.scoring.stats import Z95
    assert Z95 == pytest.approx(st.norm.ppf(0.975), abs=1e-15)
