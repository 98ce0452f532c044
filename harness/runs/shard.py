"""Shards: a deterministic 1/N of a run's selection, for schedulers that start N jobs.

Shard K of N is every N-th sample of the selection by position, starting at the K-th (1-based):
position i (0-based) belongs to shard (i mod N) + 1. The selection is the one a full run uses
(same task, data, --limit and --seed, so the same fingerprint), so N shards are disjoint and
cover it exactly, and striding keeps each shard's classes as balanced as the selection's own
order. Position works for lazy (streamed) selections too: no shard needs the others' ids.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from harness.manifest import shard_parts
from harness.tasks.sample import Sample
from harness.tasks.task import Selection


def shard_size(total: int, k: int, n: int) -> int:
    """How many of `total` positions fall in shard k of n."""
    return len(range(k - 1, total, n))


def apply_shard(selection: Selection, shard: str | None) -> Selection:
    """The shard's part of the selection; the fingerprint stays the full selection's, which is
    what `harness merge` compares across shards."""
    if shard is None:
        return selection
    k, n = shard_parts(shard)
    return Selection(_every(selection.samples, k, n), shard_size(selection.total, k, n),
                     selection.fingerprint)


def _every(samples: Iterable[Sample], k: int, n: int) -> Iterator[Sample]:
    for i, s in enumerate(samples):
        if i % n == k - 1:
            yield s
