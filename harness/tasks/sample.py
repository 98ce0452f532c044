"""One evaluation item, how its id is made, and the fingerprint of a selection of them.

Sample ids are unique within a task by construction: the image's path relative to the data root
(the class folder, the ImageNetV2 root, the manifest's folder), with POSIX separators and the
extension dropped, e.g. `n01440764/n01440764_10026` or `10/7c1e2d...`, ImageNet val keeps its
published `ILSVRC2012_val_00000001`. Where two files differ only in extension (`a.jpg`, `a.png`)
both keep their extension, so neither hides the other. A manifest's `id` column, when it has one,
is used as given. Bytes of a file name that are not UTF-8 are written as `\\xNN` (`café` in
Latin-1 is `caf\\xe9`): ids go into JSON, which holds text only, and the escaped form is stable,
so a resume finds the same ids. Whatever the source, `unique()` refuses two samples with one id.
"""
from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from harness.errors import DataError

# A file this big is not a photo; reading it whole would exhaust memory before PIL could refuse.
MAX_IMAGE_BYTES = 256 * 1024 * 1024
_KINDS = ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
          (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


@dataclass(frozen=True)
class Sample:
    """One evaluation item. The image is read lazily so a 50k-image run never holds them all."""

    id: str
    gold_wnid: str
    path: Path | None = None
    loader: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    def read_bytes(self) -> bytes:
        """The image file's bytes. Anything that is not a regular file (a FIFO would block the
        event loop for ever, a directory has no bytes) raises OSError, as an unreadable file
        does; the run records both as `image: cannot read (...)`."""
        if self.loader is not None:
            return self.loader()
        if self.path is None:
            raise OSError(errno.ENOENT, f"sample {self.id} has no image source")
        return read_regular_file(self.path)


def read_regular_file(path: Path | str, limit: int = MAX_IMAGE_BYTES) -> bytes:
    """Open without blocking (O_NONBLOCK: a FIFO opens at once instead of waiting for a
    writer), check the opened file is regular and not absurdly big, then read it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((name for test, name in _KINDS if test(st.st_mode)), "special file")
            raise OSError(errno.EINVAL, f"not a regular file: {kind}")
        if st.st_size > limit:
            raise OSError(errno.EFBIG, f"{st.st_size} bytes, more than the {limit}-byte limit")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            return f.read()
    finally:
        if fd >= 0:
            os.close(fd)


def shown(path: Path | str) -> str:
    """A path as text that can always be printed or written to JSON: bytes that are not UTF-8
    (held by Python as surrogate escapes) become `\\xNN`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def path_ids(rel_paths: list[str]) -> list[str]:
    """Sample ids for files given by their paths relative to the data root (see the module
    docstring): normalised, POSIX, extension dropped unless that would make two ids equal."""
    norm = [posixpath.normpath(shown(p).replace(os.sep, "/")) for p in rel_paths]
    stems = [posixpath.splitext(p)[0] for p in norm]
    clash = Counter(stems)
    return [s if clash[s] == 1 else p for s, p in zip(stems, norm)]


def _where(s: Sample) -> str:
    return shown(s.path) if s.path is not None else f"sample {s.id!r}"


def unique(samples: Iterable[Sample], source: Path | str) -> Iterator[Sample]:
    """The samples, unchanged, refusing (DataError naming both files) a second sample with an
    id already seen: it would never be evaluated, and the run could never complete."""
    seen: dict[str, Sample] = {}
    for s in samples:
        first = seen.setdefault(s.id, s)
        if first is not s:
            raise DataError(f"{shown(source)}: duplicate sample id {s.id!r} for {_where(first)} "
                            f"and {_where(s)}; give each image its own file name or id")
        yield s


def fingerprint(samples: Iterable[Sample]) -> str:
    """sha256 over the (id, gold) list: two runs with equal fingerprints saw the same items."""
    h = hashlib.sha256()
    for s in samples:
        h.update(f"{s.id}\t{s.gold_wnid}\n".encode())
    return h.hexdigest()
