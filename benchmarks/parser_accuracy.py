"""Parser accuracy on every labelled answer set in tests/data: class accuracy, false-class rate
(answers that name no class but were given one) and synset accuracy, each separately.

    python benchmarks/parser_accuracy.py [-v]     (-v lists the misses)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.parse.parser import parser_for  # noqa: E402
from parser_cases import SETS, figures, load_gold  # noqa: E402


def main(verbose: bool = False) -> None:
    parser = parser_for()
    print(f"{'set':24} {'n':>4} {'class acc':>10} {'false-class':>16} {'synset acc':>10}")
    for name in SETS:
        f = figures(load_gold(name), parser.parse)
        print(f"{name:24} {f['n']:4} {100 * f['class_acc']:9.1f}% "
              f"{100 * f['false_class']:7.1f}% of {f['n_no_class']:3} "
              f"{100 * f['synset_acc']:9.1f}%")
        if verbose:
            for text, got in f["misses"]:
                print(f"    miss: {text!r}: {got.wnid} {got.synset} ({got.label}, {got.match})")


if __name__ == "__main__":
    main("-v" in sys.argv)
