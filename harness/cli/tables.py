"""Fixed-width text tables of results (percentages with 95% intervals)."""
from __future__ import annotations


def results_table(results: dict) -> str:
    rows = [("metric", "value", "95% CI", "method")]
    for name, m in results["metrics"].items():
        rows.append((name, f"{100 * m['value']:.1f}%",
                     f"[{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]", m["method"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = (f"task {results['task']} | model {results['model']} | n {results['n']} "
            f"| errors {results['n_errors']}")
    extra = [f"{label} {results[k]}" for k, label in
             (("n_failed", "failed (not measured)"), ("n_ambiguous", "ambiguous (counted wrong)"),
              ("n_cached", "cached")) if results.get(k)]
    if extra:
        head += " | " + " | ".join(extra)
    lines = [head] + ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    if results.get("task") == "imagenet-sample":
        lines.append("(imagenet-sample: 100 shipped photos, easier than ImageNet val; not an "
                     "ImageNet figure)")
    return "\n".join(lines)
