"""The parser's rules as data (harness/parse/rules.json): every entry can match and has a reason,
none is listed twice, and each entry of a behaviour table is exercised by a labelled answer."""
from __future__ import annotations

import re

import pytest

from harness.parse.lexicon import TOKEN_RE, normalise
from harness.parse.rules import entries, raw_rules
from harness.wordnet.graph import wordnet

from parser_cases import SETS, check, load_cases, load_gold, CASES

RULES_SET = CASES.parent / "parser_rules.tsv"
TABLES = [t for t in raw_rules() if not t.startswith("_")]
WNID_TABLES = {"background_roots", "body_part_root", "scene_roots", "built_roots", "physical_root",
               "organism_root",
               "artifact_root", "worn_roots", "food_roots", "shape_roots"}
# Tables whose entries change a result on their own; each needs a labelled answer holding it.
# (stop, articles, coordinators and the like are grammar used on every answer.)
BEHAVIOUR = ["quantifiers", "corrections", "negators", "inversion_verbs", "clause_openers",
             "first_sense", "materials", "animal_cues", "artifact_cues", "refusal_cues",
             "refusal_phrases", "british", "aliases", "not_short", "food_cues", "eating_verbs",
             "person_cues", "viewer_phrases", "modals", "concessions", "quantities",
             "evidence_openers", "subject_words", "wearing_words", "filled_words",
             "conclusion_phrases", "negated_auxiliaries", "participle_openers", "handling_verbs",
             "dress_words", "pointing_phrases", "subject_phrases", "subject_fillers",
             "contraction_stems", "abbreviations", "prepositions", "setting_words",
             "possessives", "centre_words", "back_references", "person_pronouns",
             "picture_words", "fronting_adverbs", "describing_words", "framing_phrases",
             "showing_phrases"]


def _texts() -> list[tuple[str, ...]]:
    texts = [g.text for name in SETS for g in load_gold(name)]
    texts += [t for _, t, _ in load_cases(RULES_SET)]
    return [tuple(TOKEN_RE.findall(normalise(t))) for t in texts]


@pytest.mark.parametrize("table", TABLES)
def test_every_group_has_a_one_line_reason(table):
    for group in raw_rules()[table]:
        assert group["reason"].strip() and "\n" not in group["reason"], table


@pytest.mark.parametrize("table", TABLES)
def test_no_entry_is_listed_twice(table):
    keys = [e[0] if isinstance(e, tuple) and table != "suffixes" else e
            for e, _ in entries(table)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("table", [t for t in TABLES if t not in ("suffixes", "answer_prefixes",
                                                                   "non_noun_endings")])
def test_every_entry_tokenizes_to_itself(table):
    """"it's", "can't" or "close-up" can never match: the tokenizer splits them."""
    wn = wordnet()
    for entry, _ in entries(table):
        key = entry[0] if isinstance(entry, tuple) else entry
        if table in WNID_TABLES:
            assert key in wn, (table, key)
            continue
        assert TOKEN_RE.findall(key) == key.split(), (table, key)
        if isinstance(entry, tuple) and re.fullmatch(r"n\d{8}", str(entry[1])):
            assert entry[1] in wn, (table, entry)  # aliases name real synsets


@pytest.mark.parametrize("table", ["suffixes", "non_noun_endings", "answer_prefixes"])
def test_word_part_entries_are_lowercase_letters(table):
    for entry, _ in entries(table):
        parts = entry if isinstance(entry, tuple) else (entry,)
        assert all(re.fullmatch(r"[a-z ]*", p) for p in parts), (table, entry)


@pytest.mark.parametrize("table", BEHAVIOUR)
def test_every_behaviour_entry_is_exercised_by_a_labelled_answer(table):
    texts = _texts()
    missing = []
    for entry, _ in entries(table):
        key = entry[0] if isinstance(entry, tuple) and table in ("british", "aliases") else entry
        toks = tuple(key.split()) if isinstance(key, str) else key
        if not any(t[i : i + len(toks)] == toks for t in texts for i in range(len(t))):
            missing.append(key)
    assert not missing, f"{table}: no labelled answer holds {missing}"


def test_every_hyphen_participle_is_exercised_by_a_labelled_answer():
    """hyphen_participles are word parts ("horse-drawn"): some labelled answer holds each one
    after a hyphen (the tokens hold it joined, "horsedrawn")."""
    texts = [g.text.lower() for name in SETS for g in load_gold(name)]
    texts += [t.lower() for _, t, _ in load_cases(RULES_SET)]
    missing = [e for e, _ in entries("hyphen_participles")
               if not any(re.search(rf"[a-z]-{e}\b", t) for t in texts)]
    assert not missing, missing


RULE_CASES = load_cases(RULES_SET)


@pytest.mark.parametrize("expected,text,match", RULE_CASES,
                         ids=[f"{i}:{c[1][:40]}" for i, c in enumerate(RULE_CASES)])
def test_rule_cases(expected, text, match):
    from harness.parse import parser_for

    problem = check(expected, parser_for().parse(text), match)
    assert problem is None, f"{text!r}: {problem}"
