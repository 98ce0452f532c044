"""The steps `Parser.explain` records: which rule produced what, in order (`parse --explain`)."""
from __future__ import annotations


class Trace:
    """A list of {"step", "rule", ...details} dicts; truthy so the parser can test `if trace:`."""

    __slots__ = ("steps",)

    def __init__(self) -> None:
        self.steps: list[dict] = []

    def __bool__(self) -> bool:
        return True

    def add(self, step: str, rule: str, **detail) -> None:
        self.steps.append({"step": step, "rule": rule, **detail})

    def mention(self, words: str, word, senses) -> None:
        """A noun found: its lemma key, how it matched and why this sense is its default."""
        self.add("mention", word.rule, words=words, key=word.key, how=word.how,
                 synset=word.sense, name=senses.wn.name(word.sense), rank=word.rank)
