"""Leaderboard pages: markdown, one self-contained HTML file (no CDN), and a matplotlib PNG.

The HTML carries its data as JSON and draws the scatter in the browser at the width it is shown
(assets/board.js), so markers and labels stay readable on a phone. Every string from a run or a
baseline table is escaped (html.escape in HTML, JSON with <, >, & escaped inside the script
element, textContent in the script; pipes and brackets in markdown).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from harness.report.generalization import baseline_fit

ASSETS = Path(__file__).resolve().parent / "assets"
SHIFT_LABELS = {"matched-frequency": "V2 MF", "threshold0.7": "V2 T0.7", "top-images": "V2 TI"}
KIND_LABELS = {"measured": "measured", "cnn": "CNN", "clip": "CLIP", "vlm": "VLM"}
COLORS = {"measured": "#b3261e", "cnn": "#5f6368", "clip": "#1a62b8", "vlm": "#6b3fa0"}
LEGEND = {"measured": "measured by this harness (filled circle)",
          "cnn": "published CNN (hollow square)", "clip": "published CLIP zero-shot (triangle)",
          "vlm": "published VLM (diamond)"}


def _pct(m: dict | None, ci: bool = True, pct: bool = False) -> str:
    if not m:
        return "–"
    text = f"{100 * m['value']:.1f}{'%' if pct else ''}"
    if ci and "ci_low" in m:
        text += f" [{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]"
    return text


def _n(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _columns(board: dict) -> list[tuple[str, str]]:
    return [("imagenet", "ImageNet top-1")] + [(f"v2_{v}", f"{label} top-1")
                                                for v, label in SHIFT_LABELS.items()] + [
        ("drop", "Drop (pp)"), ("effective_robustness", "Eff. robustness (pp)")]


def variant_of(board: dict) -> str:
    return board["primary_shift"].replace("imagenet-v2-", "")


def display_model(name: str) -> str:
    """A checkpoint path is shown by its last component; the full id stays in the data."""
    if re.match(r"^(hf:)?(/|\./|~/)", name):
        return name.rstrip("/").rsplit("/", 1)[-1] or name
    return name


def short_source(source: str) -> str:
    """'modestyachts/ImageNetV2 data/...' -> 'ImageNetV2'; 'Zhang et al., NeurIPS 2024' ->
    'Zhang et al. 2024'; anything else: its first words."""
    if source == "this harness":
        return source
    if source.startswith("modestyachts/"):
        return source.split()[0].split("/", 1)[1]
    m = re.match(r"([\w-]+ et al\.)", source)
    if m:
        year = re.search(r"\b(19|20)\d\d\b", source)
        return m.group(1) + (f" {year.group(0)}" if year else "")
    return " ".join(source.split()[:3])[:32]


def provenance(row: dict, version: str) -> str:
    """The note a row's source label links to."""
    if row["status"] != "measured":
        return row.get("source", "")
    runs = "; ".join(f"{task}: {path}" for task, path in row.get("runs", {}).items())
    sha = row.get("prompt_sha256")
    return (f"Measured by this harness ({version}) for {row.get('model_id', row['model'])}, "
            f"prompt {row['prompt']}" + (f" (sha256 {sha[:16]}…)" if sha else
                                         " (prompt content not recorded)")
            + (f", on {row['machine']}" if row.get("machine") else "") + f". Runs: {runs}")


def sources(board: dict) -> list[str]:
    """Numbered provenance notes, in order of first use."""
    out: list[str] = []
    for r in board["rows"]:
        note = provenance(r, board["harness_version"])
        if note not in out:
            out.append(note)
    return out


def _md_escape(text: object) -> str:
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def render_markdown(board: dict) -> str:
    cols = _columns(board)
    notes = sources(board)
    lines = [f"# {_md_escape(board['title'])}", "", _md_escape(board.get("description", "")), "",
             f"Ranked by {board.get('sort', 'effective_robustness').replace('_', ' ')}, measured "
             "and published rows together; only full canonical runs are ranked.", "",
             "| # | model | kind | prompt | n ImageNet | n V2 | " + " | ".join(c[1] for c in cols)
             + " | source |", "|---|---|---|---|---|---|" + "---|" * len(cols) + "---|"]
    for r in board["rows"]:
        cells = " | ".join(_pct(r.get(c)) for c, _ in cols)
        src = notes.index(provenance(r, board["harness_version"])) + 1
        lines.append(f"| {r.get('rank') or '–'} | {_md_escape(display_model(r['model']))} | "
                     f"{_kind(r)} | {_md_escape(r.get('prompt') or '–')} | "
                     f"{_n(r.get('n_imagenet'))} | {_n(r.get('n_v2'))} | {cells} | "
                     f"\\[{src}\\] {_md_escape(short_source(r.get('source', '')))} |")
    fit = baseline_fit(variant_of(board))
    lines += ["", "Values in %, with 95% intervals: Wilson for accuracies, Newcombe for the drop, "
              "delta method for effective robustness. Published rows' intervals assume the full "
              "test sets (50,000 / 10,000 images).",
              f"Effective robustness is against logit(V2) = {fit.slope:.4f} · logit(ImageNet) "
              f"{fit.intercept:+.4f} (r = {fit.r:.4f}, {fit.n} standard ImageNet models, "
              "imagenet-testbed)."]
    lines += _md_apart(board) + ["", "## Sources", ""]
    lines += [f"{i}. {_md_escape(s)}" for i, s in enumerate(notes, 1)]
    return "\n".join(lines) + f"\n\nBuilt {board['created']} by harness {board['harness_version']}.\n"


def _kind(row: dict) -> str:
    return "measured" if row["status"] == "measured" else f"published {KIND_LABELS[row['kind']]}"


def _md_apart(board: dict) -> list[str]:
    out = []
    if board.get("apart"):
        out += ["", "## Subsets and partial runs (not ranked)", "",
                "| model | task | prompt | n | top-1 | not ranked because | run |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {_md_escape(display_model(a['model']))} | {_md_escape(a['task'])} | "
                f"{_md_escape(a['prompt'])} | {_n(a['n'])} | {_pct(a['top1'])} | "
                f"{_md_escape(a['why'])} | {_md_escape(a['run'])} |" for a in board["apart"]]
    if board.get("left_out"):
        out += ["", "## Left out (did not verify)", ""]
        out += [f"- {_md_escape(x['reason'])}" for x in board["left_out"]]
    return out


def points(board: dict) -> list[dict]:
    """Scatter data: one point per row with ImageNet and primary-shift top-1."""
    variant = variant_of(board)
    label = SHIFT_LABELS[variant]
    out = []
    for i, r in enumerate(board["rows"]):
        a, b = r.get("imagenet"), r.get(f"v2_{variant}")
        if not a or not b:
            continue
        er = r.get("effective_robustness")
        kind = "measured" if r["status"] == "measured" else r["kind"]
        name = display_model(r["model"])
        facts = [f"n {_n(r.get('n_imagenet'))} ImageNet / {_n(r.get('n_v2'))} {label}",
                 f"ImageNet top-1 {_pct(a, pct=True)}", f"{label} top-1 {_pct(b, pct=True)}",
                 f"effective robustness {_signed(er)} pp"]
        who = (f"measured, prompt {r['prompt']}" if kind == "measured"
               else f"published {KIND_LABELS[kind]}, {short_source(r.get('source', ''))}")
        out.append({"key": f"r{i}", "model": name, "short": name.rsplit("/", 1)[-1][:28], "kind": kind,
                    "status": r["status"], "label": kind == "measured",
                    "x": [a["value"], a["ci_low"], a["ci_high"]],
                    "y": [b["value"], b["ci_low"], b["ci_high"]],
                    "name": f"{name} ({who}): " + ", ".join(facts),
                    "tip": [who] + facts + ([f"rank {r['rank']}"] if r.get("rank") else [])})
    return out


def _signed(m: dict | None) -> str:
    if not m:
        return "–"
    return (f"{100 * m['value']:+.1f} [{100 * m['ci_low']:+.1f}, {100 * m['ci_high']:+.1f}]")


def _json_script(obj: object) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _legend(pts: list[dict]) -> str:
    kinds = [k for k in LEGEND if any(p["kind"] == k for p in pts)]
    shapes = {"measured": '<circle cx="8" cy="8" r="6" fill="{c}" stroke="#fff"/>',
              "cnn": '<rect x="3" y="3" width="10" height="10" fill="#fff" stroke="{c}" stroke-width="1.6"/>',
              "clip": '<path d="M8,1L15,13L1,13Z" fill="#fff" stroke="{c}" stroke-width="1.6"/>',
              "vlm": '<path d="M8,1L15,8L8,15L1,8Z" fill="#fff" stroke="{c}" stroke-width="1.6"/>'}
    items = [f'<li><svg width="16" height="16" aria-hidden="true">{shapes[k].format(c=COLORS[k])}'
             f"</svg>{LEGEND[k]}</li>" for k in kinds]
    items += ['<li><svg width="22" height="16" aria-hidden="true"><line x1="0" y1="8" x2="22" '
              'y2="8" stroke="#333" stroke-width="1.5"/></svg>CNN logit-linear fit</li>',
              '<li><svg width="22" height="16" aria-hidden="true"><line x1="0" y1="8" x2="22" '
              'y2="8" stroke="#9e9e9e" stroke-dasharray="5 4"/></svg>y = x (no drop)</li>']
    return f'<ul id="legend">{"".join(items)}</ul>'


def _html_columns(board: dict) -> list[tuple[str, str]]:
    """Metric columns with the ranking metric first, next to the model it ranks."""
    cols = _columns(board)
    sort = board.get("sort", "effective_robustness")
    return sorted(cols, key=lambda c: c[0] != sort)


def _table_rows(board: dict, notes: list[str]) -> str:
    esc, out = html.escape, []
    cols = _html_columns(board)
    for i, r in enumerate(board["rows"]):
        name = display_model(r["model"])
        kind = "measured" if r["status"] == "measured" else r["kind"]
        src = notes.index(provenance(r, board["harness_version"])) + 1
        search = esc(f"{r['model']} {_kind(r)} {r.get('prompt', '')} {r.get('source', '')}".lower())
        cells = [f'<td class="num" data-sort="{r.get("rank") or ""}">{r.get("rank") or "–"}</td>',
                 f'<td class="model" title="{esc(r.get("model_id") or r["model"])}">{esc(name)}'
                 f'<span class="badge {kind}">{esc(_kind(r))}</span></td>']
        cells += [_cell(r.get(c), brief=c in BRIEF) for c, _ in cols]
        cells += [f'<td class="num n" data-sort="{r.get(key) or ""}">{_n(r.get(key))}</td>'
                  for key in ("n_imagenet", "n_v2")]
        cells += [f"<td class=\"prompt\">{esc(r.get('prompt') or '–')}</td>",
                  f'<td class="src"><a href="#src-{src}">{esc(short_source(r.get("source", "")))}'
                  "</a></td>"]
        out.append(f'<tr class="{esc(r["status"])}" data-key="r{i}" data-search="{search}">'
                   f'{"".join(cells)}</tr>')
    return "\n".join(out)


BRIEF = ("v2_threshold0.7", "v2_top-images")  # secondary shifts: interval in the cell's title


def _cell(m: dict | None, brief: bool) -> str:
    if not m:
        return '<td class="num" data-sort="">–</td>'
    ci = f"[{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]"
    text = f"{100 * m['value']:.1f}" + ("" if brief else f" <small>{ci}</small>")
    return f'<td class="num" data-sort="{m["value"]}" title="95% interval {ci}">{text}</td>'


def _apart_html(board: dict) -> str:
    esc = html.escape
    rows = [f'<tr><td class="model" title="{esc(a["model_id"])}">{esc(display_model(a["model"]))}'
            f"</td><td>{esc(a['task'])}</td><td>{esc(a['prompt'])}</td>"
            f'<td class="num n">{_n(a["n"])}</td><td class="num">{esc(_pct(a["top1"]))}</td>'
            f'<td class="why">{esc(a["why"])}</td><td class="muted">{esc(a["run"])}</td></tr>'
            for a in board.get("apart", [])]
    section = ('<h2 id="subsets">Subsets and partial runs — not ranked</h2><p class="muted">Real '
               "measurements, but not of a full benchmark (a --limit or shard, another image "
               "folder, unfinished, or with failed requests): shown for reference only.</p>")
    if not rows:
        section += '<p class="muted">None.</p>'
    else:
        section += ('<div class="scroll"><table id="apart"><thead><tr><th>Model</th><th>Task</th>'
                    "<th>Prompt</th><th>n</th><th>Top-1 (%)</th><th>Not ranked because</th>"
                    f"<th>Run</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")
    if board.get("left_out"):
        items = "".join(f"<li>{esc(x['reason'])}</li>" for x in board["left_out"])
        section += f'<h2 id="left-out">Left out — did not verify</h2><ul id="left">{items}</ul>'
    return section


def render_html(board: dict) -> str:
    esc = html.escape
    notes, pts, variant = sources(board), points(board), variant_of(board)
    fit = baseline_fit(variant)
    head = "".join(f'<th data-key="{k}" scope="col">{esc(label)}</th>' for k, label in
                   [("rank", "#"), ("model", "Model")] + _html_columns(board)
                   + [("n_imagenet", "n ImageNet"), ("n_v2", "n V2"), ("prompt", "Prompt"),
                      ("source", "Source")])
    data = {"points": pts, "fit": {"slope": fit.slope, "intercept": fit.intercept},
            "axis": {"x": "ImageNet top-1 (%)", "y": f"{SHIFT_LABELS[variant]} top-1 (%)",
                     "title": f"{SHIFT_LABELS[variant]} versus ImageNet top-1, one point per row"}}
    note_items = "".join(f'<li id="src-{i}">{esc(s)}</li>' for i, s in enumerate(notes, 1))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{esc(board['title'])}</title><style>{(ASSETS / "board.css").read_text()}</style></head>
<body><main><h1>{esc(board['title'])}</h1>
<figure id="hero"><div id="chart"><div id="tip" role="tooltip"></div></div>{_legend(pts)}
<figcaption>Each point is one row of the table: top-1 on ImageNet val (x) and on
ImageNetV2 {esc(variant)} (y), with 95% intervals. Points above the fit generalize better than
standard ImageNet models of the same accuracy (effective robustness, Taori et al. 2020); fit:
logit(V2) = {fit.slope:.3f}·logit(ImageNet) {fit.intercept:+.3f} over {fit.n} models
(imagenet-testbed). Hover or focus a point for its figures; markers that would overlap are
nudged apart, with a thin line to their true position.</figcaption></figure>
<p class="lede">{esc(board.get('description', ''))}</p>
<h2 id="ranking">Ranking</h2><p class="muted">One rank over measured and published rows by
{esc(board.get('sort', 'effective_robustness').replace('_', ' '))}; rows without it are
listed after, unranked. Only full canonical runs (ImageNet val 50,000, ImageNetV2 10,000)
are ranked. Values in %, 95% intervals in brackets.</p>
<input id="filter" type="search" placeholder="Filter rows…" aria-label="Filter rows">
<div class="scroll"><table id="board"><thead><tr>{head}</tr></thead><tbody>
{_table_rows(board, notes)}
</tbody></table></div>
{_apart_html(board)}
<h2 id="sources">Sources</h2><ol id="sources">{note_items}</ol>
<p class="muted">Built {esc(board['created'])} by harness {esc(board['harness_version'])}.</p>
</main><script type="application/json" id="board-data">{_json_script(data)}</script>
<script>{(ASSETS / "board.js").read_text()}</script></body></html>
"""


def render_png(board: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variant = variant_of(board)
    fit = baseline_fit(variant)
    pts = points(board)
    fig, ax = plt.subplots(figsize=(7.5, 5.5), dpi=120)
    xs = [x / 200 for x in range(2, 199)]
    ax.plot([100 * x for x in xs], [100 * fit.predict(x) for x in xs], color="#333",
            label="CNN fit")
    ax.plot([0, 100], [0, 100], ls="--", color="#9e9e9e", label="y = x")
    marks = {"measured": "o", "cnn": "s", "clip": "^", "vlm": "D"}
    for p in sorted(pts, key=lambda p: p["kind"] == "measured"):
        (x, xl, xh), (y, yl, yh) = p["x"], p["y"]
        measured = p["kind"] == "measured"
        ax.errorbar(100 * x, 100 * y, xerr=[[100 * (x - xl)], [100 * (xh - x)]],
                    yerr=[[100 * (y - yl)], [100 * (yh - y)]], fmt=marks[p["kind"]],
                    ms=7 if measured else 5, color=COLORS[p["kind"]],
                    mfc=COLORS[p["kind"]] if measured else "white", zorder=3 if measured else 2)
        if measured:
            ax.annotate(p["short"], (100 * x, 100 * y), xytext=(6, 6),
                        textcoords="offset points", fontsize=8)
    lo = min([100 * min(p["x"][1], p["y"][1]) for p in pts] or [40]) - 5
    ax.set(xlim=(max(0, lo), 100), ylim=(max(0, lo), 100), xlabel="ImageNet top-1 (%)",
           ylabel=f"{SHIFT_LABELS[variant]} top-1 (%)", title=board["name"])
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
