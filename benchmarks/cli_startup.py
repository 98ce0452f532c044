"""Wall time of the commands a new user types first, whole processes, median of 5.

    python benchmarks/cli_startup.py

Targets (issue: the first hour of a new user): `tasks`, `models`, `ls`, `prompts` < 0.5 s,
`parse` of one line < 1 s.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = [["--help"], ["tasks"], ["models"], ["ls", "--output-dir", "."], ["prompts"],
            ["validate", "imagenet-sample"], ["run", "--help"], ["parse"]]


def wall(args: list[str], cwd: str, stdin: str | None) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, input=stdin, text=True,
                   capture_output=True, check=True)
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for args in COMMANDS:
            stdin = "a golden retriever on the grass\n" if args == ["parse"] else None
            times = [wall(args, tmp, stdin) for _ in range(5)]
            print(f"harness {' '.join(args):32s} median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f})")


if __name__ == "__main__":
    main()
