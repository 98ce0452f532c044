import pytest
from scipy.stats import binomtest

from harness.parse.parser import parser_for
from harness.scoring.score import contains, hier_score
from harness.scoring.stats import proportion, wilson
from harness.wordnet.graph import label_space


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (50, 100), (1, 1000)])
def test_wilson_agrees_with_scipy(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert hi == pytest.approx(ci.high, abs=1e-9)


def test_proportion_of_nothing_is_uninformative():
    assert proportion([]) == {"value": 0.0, "ci_low": 0.0, "ci_high": 1.0, "method": "wilson",
                              "k": 0, "n": 0}


def test_contains_is_zhang_substring_rule():
    tabby = "n02123045"  # CLIP name "tabby cat"
    assert contains(tabby, "It is a Tabby Cat on a sofa")
    assert not contains(tabby, "a tabby")  # the rule misses partial names...
    assert contains("n02088364", "not a beagle")  # ...and rewards negations


def test_hier_score_credits_hypernyms_by_depth():
    p, space = parser_for(), label_space()
    beagle = "n02088364"
    assert hier_score(beagle, p.parse("a beagle"), space) == 1.0
    dog = hier_score(beagle, p.parse("a dog"), space)
    animal = hier_score(beagle, p.parse("an animal"), space)
    assert 0.5 < dog < 1.0
    assert dog == pytest.approx(0.7)
    assert animal == 0.0
    assert hier_score(beagle, p.parse("a cat"), space) == 0.0  # not an ancestor
    assert hier_score(beagle, p.parse("an object"), space) == 0.0
    assert hier_score(beagle, p.parse("a tabby cat"), space) == 0.0  # wrong class
