"""The answer parser on a labelled set of realistic answers, plus properties of normalisation."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli.main import main
from harness.parse import MATCHES
from harness.parse.parser import normalise, parser_for

from parser_cases import check, load_cases

CASES = load_cases()


def test_case_set_is_big_enough():
    assert len(CASES) >= 300


@pytest.mark.parametrize("expected,text,match", CASES, ids=[f"{i}:{c[1][:40]}" for i, c in
                                                             enumerate(CASES)])
def test_labelled_answer(expected, text, match):
    got = parser_for().parse(text)
    problem = check(expected, got, match)
    assert problem is None, f"{text!r}: {problem}"


@pytest.mark.parametrize("name", ["parser_holdout.tsv", "parser_holdout2.tsv",
                                  "parser_holdout3.tsv"])
def test_hold_out_answers_stay_at_least_95_percent_right(name):
    """Answers written after the parser and never tuned on one by one: a floor, not a target."""
    cases = load_cases(Path(__file__).parent / "data" / name)
    misses = [(text, why) for exp, text, match in cases
              if (why := check(exp, parser_for().parse(text), match))]
    assert len(cases) >= 100 and len(misses) <= 0.05 * len(cases), misses


@pytest.mark.parametrize("text,label", [
    ("crane " * 200_000, "crane"),            # a shared word, disambiguated 200k times
    ("word " * 200_000 + "zebra", "zebra"),   # one compound 200k nouns long
    ("not a dog " * 100_000, "dog"),
    ("a husky or " * 100_000, "Eskimo dog"),
])
def test_megabyte_answers_parse_in_linear_time(text, label):
    """Each of these took minutes when some step was quadratic in the answer's length."""
    assert parser_for().parse(text).label == label


def test_candidates_keep_every_named_option_in_order():
    got = parser_for().parse("It could be a husky or an Alaskan malamute")
    assert got.candidates == ["n02109961", "n02110063"]
    assert parser_for().parse("A tabby cat next to a laptop").candidates == ["n02123045"]


def test_ambiguous_shared_lemma_without_context_is_flagged():
    got = parser_for().parse("a crane")
    assert got.match == "ambiguous" and got.wnid in ("n02012849", "n03126707")


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_never_crashes_and_is_lowercase_normalised(text):
    norm = normalise(text)
    assert norm == norm.lower()
    res = parser_for().parse(text)
    assert res.match in MATCHES
    assert (res.synset is None) == (res.match in ("none", "refusal"))


@given(st.sampled_from(["golden retriever", "tabby cat", "school bus", "goldfish"]),
       st.sampled_from(["**{}**", "Answer: {}", "{}.", "  {}  ", "`{}`", "{}!", "# {}",
                        "<think>hmm</think>{}", '{{"label": "{}"}}']))
def test_formatting_does_not_change_the_class(name, template):
    p = parser_for()
    assert p.parse(template.format(name)).wnid == p.parse(name).wnid is not None


def test_parse_cli_keeps_one_line_per_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "text": "a beagle"}\n'
                    b'{"id": "b"}\n'                       # missing text
                    b'plain text line: a goldfish\n'
                    b'\n'                                  # empty line
                    b'\xff\xfe bad bytes and a tench\n'    # not UTF-8
                    + b'{"id": "big", "text": "' + b"word " * 200_000 + b'zebra"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["parse", str(src), "-o", str(out)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "3", "4", "5", "big"]
    assert rows[0]["wnid"] == "n02088364" and rows[0]["match"] == "lemma"
    assert rows[1]["match"] == "none" and rows[3]["match"] == "none"
    assert rows[2]["wnid"] == "n01443537" and rows[4]["wnid"] == "n01440764"
    assert rows[5]["wnid"] == "n02391049"
    assert set(rows[0]) == {"id", "wnid", "synset", "label", "match", "candidates"}


def test_parse_cli_stdin_to_stdout():
    proc = subprocess.run([sys.executable, "-m", "harness", "parse", "-"], input="a pug\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["wnid"] == "n02110958"
