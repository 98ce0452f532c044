"""One evaluation item and the fingerprint of a selection of them."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable


@dataclass(frozen=True)
class Sample:
    """One evaluation item. The image is read lazily so a 50k-image run never holds them all."""

    id: str
    gold_wnid: str
    path: Path | None = None
    loader: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    def read_bytes(self) -> bytes:
        if self.loader is not None:
            return self.loader()
        if self.path is None:
            raise OSError(f"sample {self.id} has no image source")
        with open(self.path, "rb") as f:
            return f.read()


def fingerprint(samples: Iterable[Sample]) -> str:
    """sha256 over the (id, gold) list: two runs with equal fingerprints saw the same items."""
    h = hashlib.sha256()
    for s in samples:
        h.update(f"{s.id}\t{s.gold_wnid}\n".encode())
    return h.hexdigest()
