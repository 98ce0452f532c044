"""Leaderboard pages: markdown, one self-contained HTML file (no CDN), and a matplotlib PNG.

Every string that comes from a run or a baseline table is escaped (html.escape in HTML, pipes
and brackets in markdown); the page's script only reorders and hides existing rows.
"""
from __future__ import annotations

import html
from pathlib import Path

from harness.report.generalization import baseline_fit

SHIFT_LABELS = {"matched-frequency": "V2 MF", "threshold0.7": "V2 T0.7", "top-images": "V2 TI"}
COLORS = {"measured": "#d62728", "cnn": "#7f7f7f", "clip": "#1f77b4", "vlm": "#9467bd"}


def _pct(m: dict | None, ci: bool = True) -> str:
    if not m:
        return "–"
    text = f"{100 * m['value']:.1f}"
    if ci and "ci_low" in m:
        text += f" [{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]"
    return text


def _columns(board: dict) -> list[tuple[str, str]]:
    return [("imagenet", "ImageNet top-1")] + [(f"v2_{v}", f"{label} top-1")
                                                for v, label in SHIFT_LABELS.items()] + [
        ("drop", "Drop (pp)"), ("effective_robustness", "Eff. robustness (pp)")]


def _md_escape(text: str) -> str:
    return html.escape(str(text)).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def render_markdown(board: dict) -> str:
    cols = _columns(board)
    lines = [f"# {_md_escape(board['title'])}", "", _md_escape(board.get("description", "")), "",
             "| # | model | status | " + " | ".join(c[1] for c in cols) + " | source |",
             "|---|---|---|" + "---|" * len(cols) + "---|"]
    sources: list[str] = []
    for i, r in enumerate(board["rows"], 1):
        src = r.get("source", "")
        if src not in sources:
            sources.append(src)
        cells = " | ".join(_pct(r.get(c)) for c, _ in cols)
        lines.append(f"| {i} | {_md_escape(r['model'])} | {r['status']} ({r['kind']}) | {cells} "
                     f"| [{sources.index(src) + 1}] |")
    fit = baseline_fit(board["primary_shift"].replace("imagenet-v2-", ""))
    lines += ["", "Values in %, with 95% intervals: Wilson for accuracies, Newcombe for the drop, "
              "delta method for effective robustness. Published rows' intervals assume the full "
              "test sets (50,000 / 10,000 images).",
              f"Effective robustness is against logit(V2) = {fit.slope:.4f} · logit(ImageNet) "
              f"{fit.intercept:+.4f} (r = {fit.r:.4f}, {fit.n} standard ImageNet models, "
              "imagenet-testbed).", "", "Sources:", ""]
    lines += [f"{i}. {_md_escape(s)}" for i, s in enumerate(sources, 1)]
    measured = [r for r in board["rows"] if r["status"] == "measured"]
    lines += ["", f"Measured rows: {len(measured)}."] + [
        f"- {_md_escape(r['model'])} (prompt {_md_escape(r['prompt'])}; harness ran on "
        f"{_md_escape(r['machine'])})" for r in measured]
    return "\n".join(lines) + f"\n\nBuilt {board['created']} by harness {board['harness_version']}.\n"


def _svg(board: dict, size: int = 420, pad: int = 48) -> str:
    """Scatter of V2 (primary shift) vs ImageNet top-1 with the CNN fit and y = x."""
    variant = board["primary_shift"].replace("imagenet-v2-", "")
    fit = baseline_fit(variant)
    span = size - 2 * pad

    def xy(x: float, y: float) -> tuple[float, float]:
        return pad + x * span, size - pad - y * span

    curve = " ".join("%.1f,%.1f" % xy(x / 100, fit.predict(x / 100)) for x in range(1, 100))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="scatter" width="{size}" '
             f'height="{size}" viewBox="0 0 {size} {size}" role="img" '
             f'aria-label="V2 versus ImageNet top-1">',
             f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="#fafafa" '
             'stroke="#999"/>']
    for t in range(0, 101, 20):
        x0, y0 = xy(t / 100, t / 100)
        parts.append(f'<text x="{x0:.1f}" y="{size - pad + 16}" font-size="10" '
                     f'text-anchor="middle">{t}</text><text x="{pad - 6}" y="{y0 + 3:.1f}" '
                     f'font-size="10" text-anchor="end">{t}</text>')
    (x1, y1), (x2, y2) = xy(0, 0), xy(1, 1)
    parts += [f'<line class="diag" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#bbb" '
              'stroke-dasharray="4 3"/>',
              f'<polyline class="fit" points="{curve}" fill="none" stroke="#444"/>',
              f'<text x="{size / 2}" y="{size - 8}" font-size="11" text-anchor="middle">'
              'ImageNet top-1 (%)</text>',
              f'<text x="12" y="{size / 2}" font-size="11" text-anchor="middle" '
              f'transform="rotate(-90 12 {size / 2})">{SHIFT_LABELS[variant]} top-1 (%)</text>']
    for r in board["rows"]:
        a, b = r.get("imagenet"), r.get(f"v2_{variant}")
        if not a or not b:
            continue
        cx, cy = xy(a["value"], b["value"])
        color = COLORS.get(r["kind"], "#000")
        lo_x, _ = xy(a["ci_low"], 0)
        hi_x, _ = xy(a["ci_high"], 0)
        _, lo_y = xy(0, b["ci_low"])
        _, hi_y = xy(0, b["ci_high"])
        shape = (f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{color}"/>'
                 if r["status"] == "measured" else
                 f'<rect x="{cx - 3:.1f}" y="{cy - 3:.1f}" width="6" height="6" fill="{color}"/>')
        parts.append(f'<g class="point {r["status"]}" data-model="{html.escape(r["model"])}">'
                     f'<title>{html.escape(r["model"])} ({r["status"]})</title>'
                     f'<line x1="{lo_x:.1f}" y1="{cy:.1f}" x2="{hi_x:.1f}" y2="{cy:.1f}" '
                     f'stroke="{color}"/><line x1="{cx:.1f}" y1="{lo_y:.1f}" x2="{cx:.1f}" '
                     f'y2="{hi_y:.1f}" stroke="{color}"/>{shape}</g>')
    return "\n".join(parts) + "\n</svg>"


SCRIPT = """
const table = document.getElementById('board');
const body = table.tBodies[0];
document.getElementById('filter').addEventListener('input', (ev) => {
  const q = ev.target.value.toLowerCase();
  for (const row of body.rows) row.hidden = !row.dataset.search.includes(q);
});
table.tHead.addEventListener('click', (ev) => {
  const th = ev.target.closest('th');
  if (!th || th.dataset.key === undefined) return;
  const col = th.cellIndex, asc = th.dataset.dir !== 'asc';
  for (const other of table.tHead.rows[0].cells) delete other.dataset.dir;
  th.dataset.dir = asc ? 'asc' : 'desc';
  const val = (row) => {
    const v = row.cells[col].dataset.sort;
    return v === undefined ? row.cells[col].textContent : (v === '' ? -Infinity : Number(v));
  };
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = val(a), y = val(b);
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
    return asc ? c : -c;
  });
  for (const row of rows) body.appendChild(row);
});
"""

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #ddd}
th{cursor:pointer;background:#f3f3f3;text-align:left}th[data-dir=asc]::after{content:" ▲"}
th[data-dir=desc]::after{content:" ▼"}tr.measured td{font-weight:600}
td.num{text-align:right;white-space:nowrap}.muted{color:#666;font-size:12px}
td.muted{min-width:240px;max-width:360px;overflow-wrap:anywhere}
#filter{margin:8px 0;padding:4px;width:260px}
"""


def render_html(board: dict) -> str:
    cols = _columns(board)
    esc = html.escape
    head = "".join(f'<th data-key="{k}">{esc(label)}</th>' for k, label in
                   [("model", "Model"), ("status", "Status")] + cols + [("source", "Source")])
    body = []
    for r in board["rows"]:
        search = esc(f"{r['model']} {r['status']} {r['kind']} {r.get('source', '')}".lower())
        cells = [f"<td>{esc(r['model'])}</td>", f"<td>{esc(r['status'])} ({esc(r['kind'])})</td>"]
        for c, _ in cols:
            m = r.get(c)
            cells.append(f'<td class="num" data-sort="{"" if not m else m["value"]}">'
                         f"{esc(_pct(m))}</td>")
        cells.append(f'<td class="muted">{esc(r.get("source", ""))}</td>')
        body.append(f'<tr class="{esc(r["status"])}" data-search="{search}">{"".join(cells)}</tr>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{esc(board['title'])}</title><style>{STYLE}</style></head>
<body><h1>{esc(board['title'])}</h1><p>{esc(board.get('description', ''))}</p>
{_svg(board)}
<p class="muted">Red circles: measured by this harness; squares: published (grey CNNs, blue
CLIP). Lines: 95% intervals; solid curve: the CNN logit-linear fit; dashed: y = x.</p>
<input id="filter" type="search" placeholder="Filter rows…" aria-label="Filter rows">
<table id="board"><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table>
<p class="muted">Values in %, 95% intervals in brackets. Built {esc(board['created'])} by harness
{esc(board['harness_version'])}.</p>
<script>{SCRIPT}</script></body></html>
"""


def render_png(board: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variant = board["primary_shift"].replace("imagenet-v2-", "")
    fit = baseline_fit(variant)
    fig, ax = plt.subplots(figsize=(5.5, 5.5), dpi=120)
    xs = [x / 100 for x in range(1, 100)]
    ax.plot([100 * x for x in xs], [100 * fit.predict(x) for x in xs], color="#444",
            label="CNN fit")
    ax.plot([0, 100], [0, 100], ls="--", color="#bbb", label="y = x")
    for r in board["rows"]:
        a, b = r.get("imagenet"), r.get(f"v2_{variant}")
        if not a or not b:
            continue
        ax.errorbar(100 * a["value"], 100 * b["value"],
                    xerr=[[100 * (a["value"] - a["ci_low"])], [100 * (a["ci_high"] - a["value"])]],
                    yerr=[[100 * (b["value"] - b["ci_low"])], [100 * (b["ci_high"] - b["value"])]],
                    fmt="o" if r["status"] == "measured" else "s", ms=5,
                    color=COLORS.get(r["kind"], "#000"))
    ax.set(xlim=(0, 100), ylim=(0, 100), xlabel="ImageNet top-1 (%)",
           ylabel=f"{SHIFT_LABELS[variant]} top-1 (%)", title=board["name"])
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
