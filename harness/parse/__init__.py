"""Answer -> WordNet synset (issue 17: general rules, a visible trace, rules as data).

`parser_for(space)` is the one parser cache (by label space); `Parser.explain(text)` gives the
rules applied at each step; `stream.parse_lines` is `harness parse`'s input/output loop.
"""
from __future__ import annotations

import gc

from harness.parse.parser import Parser, parser_for
from harness.parse.result import MATCHES, ParseResult

__all__ = ["MATCHES", "ParseResult", "Parser", "freeze_tables", "parser_for"]


def freeze_tables() -> None:
    """For one-shot processes (the CLI), after parser_for(): move every object alive now, the
    parser's tables included, out of the garbage collector's view, so full collections stop
    walking them. Process-wide, hence never done by a library constructor; the tables are built
    of tuples, frozensets and strings that the collector mostly skips even without this.
    No gc.collect() first: it cost a whole pass (~40 ms of start-up) to free the few cycles
    that imports leave, a few kilobytes that a one-shot process can keep."""
    gc.freeze()
