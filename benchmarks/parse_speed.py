"""Parser throughput on one core vs the substring baseline, over 50,000 realistic answers.

    python benchmarks/parse_speed.py [N]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import answers  # noqa: E402

from harness.parse.parser import Parser  # noqa: E402
from harness.scoring.score import contains  # noqa: E402


def main(n: int = 50_000, repeats: int = 3) -> None:
    data = answers(n)
    texts = [t for _, t in data]
    print(f"{n} answers, {len(set(texts))} distinct")

    t0 = time.perf_counter()
    for gold, text in data:
        contains(gold, text)
    base = time.perf_counter() - t0
    print(f"substring baseline (Zhang et al. contains): {n / base:,.0f} answers/s")

    cold = []
    for _ in range(repeats):  # a fresh parser each time: nothing cached from the last round
        t0 = time.perf_counter()
        parser = Parser()
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for text in texts:
            parser.parse(text)
        cold.append(time.perf_counter() - t0)
        print(f"  parser build {build:.2f} s, cold pass {n / cold[-1]:,.0f} answers/s")
    dt = statistics.median(cold)
    print(f"parser cold (empty caches, median of {repeats}): {n / dt:,.0f} answers/s "
          f"({1e6 * dt / n:.1f} us each)")
    t0 = time.perf_counter()
    for text in texts:
        parser.parse(text)
    dt = time.perf_counter() - t0
    print(f"parser warm (same answers again): {n / dt:,.0f} answers/s ({1e6 * dt / n:.1f} us each)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
