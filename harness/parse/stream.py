"""`harness parse`'s loop: JSONL or plain lines in, one JSON result per line out, same order.

Input lines are `{"id": str, "text": str}` records or plain text (id = line number). A line that is
a JSON object without a string "text" is not silently parsed as nothing: when it has other fields
(`{"label": "espresso"}`, a model's JSON answer on a plain line) the whole line is the answer, which
the parser unwraps like any JSON answer; when it has none (`{"id": "b"}`), it is a record whose text
is missing, and gives match none. Both are counted and logged once as a warning ("harness" logger).

Speed (issue 17: >= 100k lines/s end to end): results repeat, so the JSON body of each distinct
result is serialised once and reused; records written the way json.dumps writes them, with nothing
escaped, are read by one regular expression instead of json.loads; output is written in blocks.
"""
from __future__ import annotations

import json
import logging
import re
from typing import BinaryIO, TextIO

from harness.parse.result import NOTHING, ParseResult

log = logging.getLogger("harness")
_dumps = json.JSONEncoder(ensure_ascii=False).encode
# {"id": "...", "text": "..."} exactly as json.dumps writes it, with nothing escaped inside
_SIMPLE = re.compile(r'\{"id": "([^"\\\x00-\x1f]*)", "text": "([^"\\\x00-\x1f]*)"\}\Z')


def parse_lines(src: BinaryIO, dst: TextIO, parser, explain: bool = False) -> int:
    """Parse every line of src into dst; returns the number of lines written. With explain, each
    output object also has "explain": the steps of Parser.explain (slower: nothing is cached)."""
    by_id: dict[int, tuple[ParseResult, str]] = {}  # id(result) -> (result kept alive, body)
    by_value: dict[tuple, str] = {}  # equal results from different answers share one body
    parse, out = parser.parse, []
    n = as_text = missing = 0
    for n, raw in enumerate(src, 1):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        rid, text = f'"{n}"', line
        if line[:1] == "{" or line.lstrip()[:1] == "{":
            got = _SIMPLE.match(line)  # json.dumps' own layout, no escapes: no need to decode
            if got:
                rid, text = f'"{got[1]}"', got[2]
            else:
                rid, text, kind = _record(line)
                rid = f'"{n}"' if rid is None else _dumps(rid)
                as_text += kind == "text"
                missing += kind == "missing"
        if explain:
            res, steps = parser.explain(text) if text is not None else (NOTHING, [])
            out.append(f'{{"id": {rid}, {res.json_fields()}, "explain": {_dumps(steps)}}}\n')
        else:
            res = parse(text) if text is not None else NOTHING
            body = by_id.get(id(res))
            if body is None or body[0] is not res:
                if len(by_id) > 500_000:
                    by_id.clear()
                key = (res.wnid, res.synset, res.match, *res.candidates)
                text_ = by_value.get(key)
                if text_ is None:
                    text_ = by_value[key] = res.json_fields()
                body = by_id[id(res)] = (res, text_)
            out.append(f'{{"id": {rid}, {body[1]}}}\n')
        if len(out) >= 2048:
            dst.write("".join(out))
            out.clear()
    dst.write("".join(out))
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
