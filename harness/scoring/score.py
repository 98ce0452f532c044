"""Per-sample scores: strict top-1, Zhang et al.'s substring rule, and hierarchical credit."""
from __future__ import annotations

from harness.parse.parser import ParseResult
from harness.wordnet.graph import LabelSpace, clip_names, wordnet

# Hypernyms at or above this depth (longest is-a path) get no credit: entity 0 > physical entity 1
# > object 2 > whole 3 > living thing 4 > organism 5 > animal 6; artifact 4 > instrumentality 5 >
# device/container 6. Depth is the longest path because WordNet has shortcuts ("dog" is also a
# "domestic animal", one step below "animal") that make the shortest path erratic.
GENERIC_DEPTH = 6


def contains(gold_wnid: str, response: str) -> bool:
    """Zhang et al. 2024: correct iff the gold CLIP class name is a substring of the answer."""
    name = clip_names().get(gold_wnid)
    return bool(name) and name.lower() in (response or "").lower()


def hier_score(gold_wnid: str, pred: ParseResult, space: LabelSpace) -> float:
    """1 for the gold class; for a named hypernym of the gold class, partial credit

    ``(depth(hypernym) - G) / (depth(gold) - G)`` with depth = longest is-a path and
    G = GENERIC_DEPTH, clipped to [0, 1]: "dog" for a beagle earns 0.7 (13-6 of 16-6 steps),
    "animal" or "object" earn nothing.
    Other answers (wrong class, unrelated noun, nothing) score 0.
    """
    if pred.wnid == gold_wnid:
        return 1.0
    syn = pred.synset
    wn = wordnet()
    if syn is None or pred.wnid is not None or syn not in wn.ancestors(gold_wnid):
        return 0.0
    span = wn.max_depth(gold_wnid) - GENERIC_DEPTH
    if span <= 0:
        return 0.0
    return max(0.0, min(1.0, (wn.max_depth(syn) - GENERIC_DEPTH) / span))


def score(gold_wnid: str, response: str, pred: ParseResult, space: LabelSpace,
          contains_rule: bool = True) -> dict:
    """The scored fields of a samples.jsonl record.

    An `ambiguous` answer (the parser could not tell which of several classes it names) is
    counted wrong, whichever class it listed first: crediting it would reward a guess the
    answer did not make. results.json counts them (`n_ambiguous`)."""
    return {
        "pred_wnid": pred.wnid,
        "pred_synset": pred.synset,
        "match": pred.match,
        "correct": pred.wnid == gold_wnid and pred.match != "ambiguous",
        "contains": contains_rule and contains(gold_wnid, response),
        "hier_score": 0.0 if pred.match == "ambiguous" else
        round(hier_score(gold_wnid, pred, space), 6),
    }


def class_result(wnid: str, space: LabelSpace) -> ParseResult:
    """A classifier's prediction in the parser's result type (so scoring is shared)."""
    return ParseResult(wnid, wnid, space.label(wnid), "class", [wnid])
