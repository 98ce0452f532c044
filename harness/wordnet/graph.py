"""WordNet 3.0 noun hierarchy and label spaces, loaded from the package's own compact data.

Synsets are WordNet 3.0 ids (``n`` + 8-digit data.noun offset). A label space is an ordered list of
class wnids; ``imagenet-1k`` is the 1000 ILSVRC-2012 classes in sorted-wnid order (index = position).
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Sequence
from harness.errors import LabelError
from harness.resources import cached_build, collector_paused, did_you_mean

DATA = resources.files("harness") / "data"
ENTITY = "n00001740"
GRAPH_KEYS = {"wnids", "names", "parents", "exceptions"}


class WordNet:
    """The noun graph: synset names, parents (is-a + instance-of) and the lemma index."""

    def __init__(self, raw: dict, lemmas: Callable[[], dict[str, list[int]]]) -> None:
        """raw: the graph; lemmas: loads the lemma index when first read (only the parser's table
        build reads it, so `harness parse` does not load it)."""
        self.wnids: list[str] = raw["wnids"]
        self.names: list[str] = raw["names"]
        self._parents: list[list[int]] = raw["parents"]
        self.exceptions: dict[str, list[str]] = raw["exceptions"]
        self.pos: dict[str, int] = {w: i for i, w in enumerate(self.wnids)}
        self._load_lemmas = lemmas

    @cached_property
    def lemmas(self) -> dict[str, list[int]]:
        """Lemma key ("golden_retriever") -> synset positions, most frequent sense first."""
        return self._load_lemmas()

    def __contains__(self, wnid: str) -> bool:
        return wnid in self.pos

    def name(self, wnid: str) -> str:
        return self.names[self.pos[wnid]]

    def parents(self, wnid: str) -> list[str]:
        return [self.wnids[p] for p in self._parents[self.pos[wnid]]]

    @lru_cache(maxsize=65536)
    def ancestors(self, wnid: str) -> frozenset[str]:
        """Every hypernym on every path to ``entity`` (excluding ``wnid`` itself)."""
        out: set[str] = set()
        for p in self.parents(wnid):
            out.add(p)
            out |= self.ancestors(p)
        return frozenset(out)

    @lru_cache(maxsize=65536)
    def depth(self, wnid: str) -> int:
        """Fewest is-a steps to ``entity`` (entity = 0), as in ImageNet's metadata."""
        ps = self.parents(wnid)
        return 0 if not ps else 1 + min(self.depth(p) for p in ps)

    @lru_cache(maxsize=65536)
    def max_depth(self, wnid: str) -> int:
        """Longest is-a path to ``entity``: stable under WordNet's multiple inheritance."""
        ps = self.parents(wnid)
        return 0 if not ps else 1 + max(self.max_depth(p) for p in ps)

    @cached_property
    def _children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.wnids]
        for child, ps in enumerate(self._parents):
            for p in ps:
                kids[p].append(child)
        return kids

    def descendants(self, wnid: str) -> set[str]:
        out: set[str] = set()
        stack = [self.pos[wnid]]
        while stack:
            for c in self._children[stack.pop()]:
                w = self.wnids[c]
                if w not in out:
                    out.add(w)
                    stack.append(c)
        return out

    def descendants_contains(self, synset: str, ancestor: str) -> bool:
        """True if `synset` is a proper hyponym of `ancestor`."""
        return synset != ancestor and ancestor in self.ancestors(synset)

    def lca(self, a: str, b: str) -> str:
        """Deepest common hypernym by longest is-a path (WordNet's shortcuts, like "dog" being
        also a "domestic animal", make the shortest path misleading); ties by wnid."""
        common = (self.ancestors(a) | {a}) & (self.ancestors(b) | {b})
        return max(common, key=lambda w: (self.max_depth(w), w)) if common else ENTITY


@lru_cache(maxsize=1)
def wordnet() -> WordNet:
    """Loaded once per process: decoded from the shipped gzip JSON once per install and kept in
    the user cache as marshal (resources.cached_build, keyed by the file's hash), which loads in
    half the time, the lemma index apart (read on first use): most of `harness parse`'s start-up.
    """
    packed = (DATA / "wordnet.json.gz").read_bytes()
    decoded: dict = {}

    def part(keep: bool) -> dict:
        if not decoded:
            decoded.update(_decode(packed))
        return {k: v for k, v in decoded.items() if (k == "lemmas") == keep}

    code = Path(__file__).read_bytes()  # part() shapes what is kept
    graph = cached_build("wordnet", [packed, code], lambda: part(False),
                         lambda v: isinstance(v, dict) and GRAPH_KEYS <= v.keys())
    return WordNet(graph, lambda: cached_build(
        "wordnet-lemmas", [packed, code], lambda: part(True),
        lambda v: isinstance(v, dict) and isinstance(v.get("lemmas"), dict))["lemmas"])


def _decode(packed: bytes) -> dict:
    with collector_paused():  # ~300k lists and dicts, none garbage
        return json.loads(gzip.decompress(packed))


@lru_cache(maxsize=1)
def imagenet_classes() -> list[dict]:
    """The 1000 classes (index, wnid, lemmas, gloss, clip_name, parents, depth)."""
    return json.loads((DATA / "imagenet_classes.json").read_text())["classes"]


@dataclass(frozen=True)
class LabelSpace:
    """An ordered set of class synsets; predictions are mapped into it."""

    name: str
    wnids: tuple[str, ...]
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        wn = wordnet()
        unknown = [w for w in self.wnids if w not in wn]
        if unknown:
            raise LabelError(f"label space {self.name!r}: not WordNet 3.0 noun ids: {unknown[:5]}")
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.wnids)})
        object.__setattr__(self, "_classes_cache", {})

    def __hash__(self) -> int:  # cheap: methods are lru-cached per (space, synset)
        return hash((self.name, len(self.wnids), self.wnids[:3]))

    def __len__(self) -> int:
        return len(self.wnids)

    def __contains__(self, wnid: object) -> bool:
        return wnid in self.index

    @cached_property
    def _class_ancestors(self) -> frozenset[str]:
        wn = wordnet()
        return frozenset(a for w in self.wnids for a in wn.ancestors(w))

    def is_ancestor_of_class(self, synset: str) -> bool:
        return synset in self._class_ancestors

    def classes_for(self, synset: str) -> tuple[str, ...]:
        """Class(es) a synset falls under: itself if a class, else its nearest class hypernyms."""
        cache = self._classes_cache
        if synset not in cache:
            cache[synset] = self._classes_for(synset)
        return cache[synset]

    def _classes_for(self, synset: str) -> tuple[str, ...]:
        if synset in self.index:
            return (synset,)
        wn = wordnet()
        hits = [a for a in wn.ancestors(synset) if a in self.index]
        if not hits:
            return ()
        best = max(wn.depth(h) for h in hits)
        return tuple(sorted(h for h in hits if wn.depth(h) == best))

    def label(self, wnid: str) -> str:
        return class_names().get(wnid) or wordnet().name(wnid)


@lru_cache(maxsize=1)
def class_names() -> dict[str, str]:
    """Human name per ImageNet class: its first WordNet lemma (CLIP names are kept separately)."""
    return {c["wnid"]: c["lemmas"][0] for c in imagenet_classes()}


@lru_cache(maxsize=1)
def clip_names() -> dict[str, str]:
    return {c["wnid"]: c["clip_name"] for c in imagenet_classes()}


def _read_wnid_list(fname: str) -> tuple[str, ...]:
    lines = (DATA / fname).read_text().split()
    return tuple(w.strip() for w in lines if w.strip())


BUILTIN_SPACES = {
    "imagenet-1k": lambda: tuple(c["wnid"] for c in imagenet_classes()),
    "imagenet-a-200": lambda: _read_wnid_list("imagenet_a_wnids.txt"),
    "imagenet-r-200": lambda: _read_wnid_list("imagenet_r_wnids.txt"),
}


@lru_cache(maxsize=32)
def label_space(name: str = "imagenet-1k") -> LabelSpace:
    if name not in BUILTIN_SPACES:
        raise LabelError(f"unknown label space {name!r}{did_you_mean(name, BUILTIN_SPACES)}; "
                         f"choose one of {sorted(BUILTIN_SPACES)}")
    return LabelSpace(name, BUILTIN_SPACES[name]())


def custom_space(name: str, wnids: Iterable[str]) -> LabelSpace:
    """A label space from a list of wnids, kept in the given order."""
    seq: Sequence[str] = list(dict.fromkeys(wnids))
    return LabelSpace(name, tuple(seq))
