"""Parser throughput on one core vs the substring baseline, over 50,000 realistic answers.

    python benchmarks/parse_speed.py [N]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import answers  # noqa: E402

from harness.parse import Parser  # noqa: E402
from harness.scoring import contains  # noqa: E402


def main(n: int = 50_000) -> None:
    data = answers(n)
    texts = [t for _, t in data]
    print(f"{n} answers, {len(set(texts))} distinct")
    t0 = time.perf_counter()
    parser = Parser()
    print(f"parser build: {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    for gold, text in data:
        contains(gold, text)
    base = time.perf_counter() - t0
    print(f"substring baseline (Zhang et al. contains): {n / base:,.0f} answers/s")

    for label in ("cold (empty cache)", "warm (same answers again)"):
        t0 = time.perf_counter()
        for text in texts:
            parser.parse(text)
        dt = time.perf_counter() - t0
        print(f"parser {label}: {n / dt:,.0f} answers/s ({1e6 * dt / n:.1f} us each)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
