"""`harness parse`'s loop: JSONL or plain lines in, one JSON result per line out, same order.

Input lines are `{"id": str, "text": str}` records or plain text (id = line number). A line that is
a JSON object without a string "text" is not silently parsed as nothing: when it has other fields
(`{"label": "espresso"}`, a model's JSON answer on a plain line) the whole line is the answer, which
the parser unwraps like any JSON answer; when it has none (`{"id": "b"}`), it is a record whose text
is missing, and gives match none. Both are counted and logged once as a warning ("harness" logger).

Speed (issue 17: >= 100k lines/s end to end): results repeat, so the JSON body of each distinct
result is serialised once and reused; records written the way json.dumps writes them, with nothing
escaped but quotes, are read by one regular expression instead of json.loads; output is written in
blocks.
"""
from __future__ import annotations

import gc
import json
import logging
import re
from typing import BinaryIO, TextIO

from harness.parse.parser import LONG_ANSWER
from harness.parse.result import NOTHING
from harness.resources import collector_paused

log = logging.getLogger("harness")
_dumps = json.JSONEncoder(ensure_ascii=False).encode
# {"id": "...", "text": "..."} exactly as json.dumps writes it, with nothing escaped but quotes in
# the text (a model's JSON answer, {\"label\": \"quill\"}: json.loads on each such line cost
# ~5% of the CLI's time on the benchmark). The text is group 2, each \" in it read as ".
_SIMPLE = re.compile(r'\{"id": "([^"\\\x00-\x1f]*)", '
                     r'"text": "([^"\\\x00-\x1f]*(?:\\"[^"\\\x00-\x1f]*)*)"\}\Z')


def parse_lines(src: BinaryIO, dst: TextIO, parser, explain: bool = False,
                freeze: bool = False) -> int:
    """Parse every line of src into dst; returns the number of lines written. With explain, each
    output object also has "explain": the steps of Parser.explain (slower: nothing is cached).
    freeze (for one-shot processes such as the CLI; process-wide, like freeze_tables): the
    collector is paused while the loop runs and what it kept (the result caches) leaves its view
    afterwards. The loop makes no reference cycles (gc.collect() after 200k lines and an explain
    run finds nothing), so its passes over the growing caches were pure cost (~5%)."""
    try:
        with collector_paused(freeze):
            return _parse_lines(src, dst, parser, explain)
    finally:
        if freeze:
            gc.freeze()


def _parse_lines(src: BinaryIO, dst: TextIO, parser, explain: bool) -> int:
    known, body_of = ({}, _explained(parser)) if explain else _bodies(parser)
    cached, simple = known.get, _SIMPLE.match  # the loop's hot path: a seen answer's body
    n = as_text = missing = 0
    for lines in _blocks(src):
        out = []
        for line in lines:
            n += 1
            got = simple(line)  # json.dumps' own layout, only quotes escaped: no decoding
            if got:
                text = got[2]
                if "\\" in text:
                    text = text.replace('\\"', '"')
                out.append(f'{{"id": "{got[1]}", {cached(text) or body_of(text)}}}\n')
            elif line[:1] == "{" or (line[:1].isspace() and line.lstrip()[:1] == "{"):
                rid, text, kind = _record(line)
                as_text += kind == "text"
                missing += kind == "missing"
                rid = f'"{n}"' if rid is None else _dumps(rid)
                out.append(f'{{"id": {rid}, {body_of(text)}}}\n')
            else:
                out.append(f'{{"id": "{n}", {cached(line) or body_of(line)}}}\n')
        dst.write("".join(out))
    _warn(as_text, missing)
    return n


def _bodies(parser):
    """(bodies seen, body_of): answer text (or None: no text) -> the JSON body of its result.
    Answers repeat, so each distinct text is parsed and serialised once, and equal results share
    one body. Answers longer than LONG_ANSWER are not kept (a stream of distinct megabyte
    answers stays flat)."""
    by_text: dict[str | None, str] = {None: NOTHING.json_fields()}
    by_value: dict[tuple, str] = {}
    parse = parser.parse_once  # this cache is by text already

    def body_of(text: str | None) -> str:
        body = by_text.get(text)
        if body is None:
            res = parse(text)
            key = (res.wnid, res.synset, res.match, *res.candidates)
            body = by_value.get(key)
            if body is None:
                body = by_value[key] = res.json_fields()
            if len(text) <= LONG_ANSWER:
                if len(by_text) > 500_000:
                    by_text.clear()
                    by_text[None] = NOTHING.json_fields()
                by_text[text] = body
        return body

    return by_text, body_of


def _explained(parser):
    def body_of(text: str | None) -> str:
        res, steps = parser.explain(text) if text is not None else (NOTHING, [])
        return f"{res.json_fields()}, \"explain\": {_dumps(steps)}"

    return body_of


def _blocks(src: BinaryIO, size: int = 1 << 20):
    """Lines (decoded, bad bytes replaced, without "\\r\\n") in blocks of about `size` bytes:
    one decode per block instead of one per line."""
    pending, read = b"", getattr(src, "read1", src.read)  # read1: what a pipe has, no waiting
    while True:
        block = read(size)
        if not block:
            break
        block = pending + block
        cut = block.rfind(b"\n") + 1
        pending = block[cut:]
        if cut:
            text = block[:cut].decode("utf-8", errors="replace")
            lines = text.split("\n")
            lines.pop()
            yield [x[:-1] if x[-1:] == "\r" else x for x in lines] if "\r" in text else lines
    if pending:
        yield [pending.decode("utf-8", errors="replace").rstrip("\r")]


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
