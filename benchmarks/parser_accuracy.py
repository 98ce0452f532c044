"""Parser accuracy on the labelled answer sets in tests/data (the README reports these figures).

    python benchmarks/parser_accuracy.py
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.parse.parser import parser_for  # noqa: E402
from parser_cases import check, load_cases  # noqa: E402


def main() -> None:
    parser = parser_for()
    for name in ("parser_cases.tsv", "parser_holdout.tsv", "parser_holdout2.tsv",
                 "parser_holdout3.tsv"):
        path = Path(__file__).resolve().parents[1] / "tests" / "data" / name
        cases = load_cases(path)
        misses = [(text, why) for exp, text, match in cases
                  if (why := check(exp, parser.parse(text), match))]
        print(f"{name}: {len(cases) - len(misses)}/{len(cases)} correct "
              f"({100 * (1 - len(misses) / len(cases)):.1f}%)")
        for text, why in misses:
            print(f"  miss: {text!r}: {why}")


if __name__ == "__main__":
    main()
