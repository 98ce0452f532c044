"""Progress lines and notes on stderr (the library reports through the CLI, never prints)."""
from __future__ import annotations

import sys
import time


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Progress:
    """`done/total rate/s ETA`, redrawn in place on a terminal, every 10 s in logs."""

    def __init__(self, total: int, done: int = 0, label: str = "samples") -> None:
        self.total, self.label, self.done, self.start_done = total, label, done, done
        self.errors = 0
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()
        self._last = 0.0

    def update(self, n: int = 1, error: bool = False) -> None:
        self.done += n
        self.errors += int(error)
        now = time.monotonic()
        if now - self._last >= (0.2 if self.tty else 10.0) or self.done >= self.total:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.t0, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = "--:--" if left == float("inf") else time.strftime("%H:%M:%S", time.gmtime(left))
        line = (f"{self.done}/{self.total} {self.label}  {rate:.1f}/s  ETA {eta}"
                f"{f'  errors {self.errors}' if self.errors else ''}")
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.done > self.start_done and (self._last == 0.0 or self.done < self.total):
            self._draw(time.monotonic())
        if self.tty:
            print(file=sys.stderr, flush=True)
