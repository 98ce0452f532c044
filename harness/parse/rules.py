"""The parser's hand-kept rules, loaded from rules.json (shipped with the package).

The tables are data so that every entry carries its reason and can be checked
(tests/test_parse_rules.py):
each group of a table is {"reason": one line, "entries": ...}, where entries is a string of
single-token entries split on spaces, a list of entries (an entry of several words is one phrase),
or a mapping (entry -> value). `Parser.explain` quotes the reason of each entry it applies.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

RULES_FILE = resources.files("harness.parse") / "rules.json"


@lru_cache(maxsize=1)
def raw_rules() -> dict:
    """The parsed file; tables by name, each a list of groups."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def rules_hash() -> str:
    """Part of the key of the cached parser tables: a changed rule rebuilds them."""
    return hashlib.sha256(RULES_FILE.read_bytes()).hexdigest()[:16]


def entries(table: str) -> list[tuple[object, str]]:
    """(entry, reason) in file order; an entry is a str, or a (key, value) pair of a mapping.
    Duplicates are kept here so the test can find them."""
    out: list[tuple[object, str]] = []
    for group in raw_rules()[table]:
        items = group["entries"]
        if isinstance(items, str):
            items = items.split()
        elif isinstance(items, dict):
            items = list(items.items())
        out.extend((tuple(e) if isinstance(e, list) else e, group["reason"]) for e in items)
    return out


def words(table: str) -> frozenset[str]:
    return frozenset(e for e, _ in entries(table))


def mapping(table: str) -> dict[str, str]:
    return dict(e for e, _ in entries(table))


def phrases(table: str) -> tuple[tuple[str, ...], ...]:
    """Entries as token tuples, longest first ("as an ai language model" before "as an ai"), then
    in file order: a set's order changes with the hash seed, and explain names the first match."""
    unique = dict.fromkeys(tuple(e.split()) for e, _ in entries(table))
    return tuple(sorted(unique, key=len, reverse=True))


@lru_cache(maxsize=None)
def reason(table: str, entry: str) -> str:
    """The one-line reason of an entry (for explain traces)."""
    for e, why in entries(table):
        if e == entry or (isinstance(e, tuple) and e[0] == entry):
            return why
    return ""
