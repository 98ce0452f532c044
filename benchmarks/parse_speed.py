"""Parser throughput: in process (cold and warm) and `harness parse` end to end, start-up included.

    python benchmarks/parse_speed.py [N]          (default 200,000 answers)

In process: a fresh Parser per round (its result caches empty; the built tables come from memory),
median of three rounds over N realistic answers (benchmarks/answers.py; about half are distinct).
End to end: one subprocess over N lines in a file, wall clock from process start to exit, for
(a) `python -m harness parse IN -o OUT` and (b) the same loop without the CLI around it,
harness.parse.stream.parse_lines after parser_for() and freeze_tables(); each with the parser's
table cache warm (the usual case) and cold (first start after an install or a data change).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import answers  # noqa: E402

from harness.parse import Parser  # noqa: E402
from harness.scoring.score import contains  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
STREAM = ("import sys; from harness.parse import parser_for, freeze_tables; "
          "from harness.parse.stream import parse_lines; p = parser_for(); freeze_tables(); "
          "parse_lines(open(sys.argv[1], 'rb'), open(sys.argv[2], 'w', encoding='utf-8'), p, freeze=True)")


def in_process(data: list[tuple[str, str]], repeats: int = 3) -> None:
    n, texts = len(data), [t for _, t in data]
    t0 = time.perf_counter()
    for gold, text in data:
        contains(gold, text)
    print(f"substring baseline (Zhang et al. contains): {n / (time.perf_counter() - t0):,.0f}/s")
    cold, cpu = [], []
    for _ in range(repeats):
        parser = Parser()
        t0, c0 = time.perf_counter(), time.process_time()
        for text in texts:
            parser.parse(text)
        cold.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    dt = statistics.median(cold)
    print(f"in process, cold (median of {repeats}): {n / dt:,.0f} answers/s "
          f"({1e6 * dt / n:.1f} us each; {n / statistics.median(cpu):,.0f} per CPU second)")
    t0 = time.perf_counter()
    for text in texts:
        parser.parse(text)
    dt = time.perf_counter() - t0
    print(f"in process, warm (same answers again): {n / dt:,.0f} answers/s")


def end_to_end(data: list[tuple[str, str]]) -> None:
    n = len(data)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps({"id": f"s{i}", "text": t}) + "\n"
                               for i, (_, t) in enumerate(data)))
        env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_CACHE": str(Path(tmp) / "cache")}
        runs = {"harness parse (CLI)": [sys.executable, "-m", "harness", "parse", str(src),
                                              "-o", str(dst)],
                "parse_lines (no CLI)": [sys.executable, "-c", STREAM, str(src), str(dst)]}
        for cache in ("cold", "warm"):
            for name, cmd in runs.items():
                if cache == "cold":
                    subprocess.run(["rm", "-rf", env["HARNESS_CACHE"]], check=True)
                cpu0 = _child_cpu()
                t0 = time.perf_counter()
                subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
                dt, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
                lines = sum(1 for _ in dst.open())
                assert lines == n, (name, lines)
                print(f"end to end, {name}, table cache {cache}: {n / dt:,.0f} lines/s "
                      f"({dt:.2f} s wall, {cpu:.2f} s CPU for {n:,} lines)")


def _child_cpu() -> float:
    """CPU seconds of finished children: less sensitive than wall time to other load."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(n: int = 200_000) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    data = answers(n)
    print(f"{n:,} answers, {len({t for _, t in data}):,} distinct")
    in_process(data)
    end_to_end(data)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
