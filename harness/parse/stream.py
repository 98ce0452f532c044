"""`harness parse`'s loop: JSONL or plain lines in, one JSON result per line out, same order.

Input lines are `{"id": str, "text": str}` records or plain text (id = line number). A line that is
a JSON object without a string "text" is not silently parsed as nothing: when it has other fields
(`{"label": "espresso"}`, a model's JSON answer on a plain line) the whole line is the answer, which
the parser unwraps like any JSON answer; when it has none (`{"id": "b"}`), it is a record whose text
is missing, and gives match none. Both are counted and logged once as a warning ("harness" logger).

Speed (issue 17: >= 100k lines/s end to end): results repeat, so the JSON body of each distinct
result object is serialised once and reused; ids of plain lines need no escaping.
"""
from __future__ import annotations

import json
import logging
from typing import BinaryIO, TextIO

from harness.parse.result import NOTHING, ParseResult

log = logging.getLogger("harness")
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def parse_lines(src: BinaryIO, dst: TextIO, parser, explain: bool = False) -> int:
    """Parse every line of src into dst; returns the number of lines written. With explain, each
    output object also has "explain": the steps of Parser.explain (slower: nothing is cached)."""
    bodies: dict[int, tuple[ParseResult, str]] = {}  # id(result) -> (result kept alive, body)
    parse, write = parser.parse, dst.write
    n = as_text = missing = 0
    for n, raw in enumerate(src, 1):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        rid, text = None, line
        if line[:1] == "{" or line.lstrip()[:1] == "{":
            rid, text, kind = _record(line)
            as_text += kind == "text"
            missing += kind == "missing"
        rid_json = f'"{n}"' if rid is None else _dumps(rid)
        if explain:
            res, steps = parser.explain(text) if text is not None else (NOTHING, [])
            write(f'{{"id": {rid_json}, {res.json_fields()}, "explain": {_dumps(steps)}}}\n')
            continue
        res = parse(text) if text is not None else NOTHING
        got = bodies.get(id(res))
        if got is None or got[0] is not res:
            if len(bodies) > 500_000:
                bodies.clear()
            got = bodies[id(res)] = (res, res.json_fields())
        write(f'{{"id": {rid_json}, {got[1]}}}\n')
    _warn(as_text, missing)
    return n


def _record(line: str) -> tuple[str | None, str | None, str]:
    """(id, text, kind) of a line starting with "{": kind is "record" ({"id", "text"}),
    "missing" (an object with no text and nothing else), "text" (an object without "text" but
    with other fields: the line is the answer) or "plain" (not a JSON object)."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None, line, "plain"
    if not isinstance(obj, dict):
        return None, line, "plain"
    rid = str(obj["id"]) if "id" in obj else None
    text = obj.get("text")
    if isinstance(text, str):
        return rid, text, "record"
    if set(obj) - {"id", "text"}:
        return rid, line, "text"
    return rid, None, "missing"


def _warn(as_text: int, missing: int) -> None:
    if as_text:
        log.warning("%d input line(s) were JSON objects without a \"text\" field; each was "
                    "parsed whole as the answer (write {\"id\": ..., \"text\": ...} records to "
                    "avoid this)", as_text)
    if missing:
        log.warning("%d input record(s) had no \"text\"; their output is match none", missing)
