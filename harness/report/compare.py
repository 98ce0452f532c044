"""Comparisons between saved runs: `harness compare` (paired) and `harness report` (ImageNet ->
V2 generalization next to the CNN baselines). Reads run dirs only; never calls a model."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import ReportError
from harness.report.baselines import VARIANTS, cnn_baselines, published_vlms
from harness.report.generalization import baseline_fit, drop, effective_robustness
from harness.report.runinfo import RunFacts, load_run
from harness.scoring.stats import accuracy, paired

__all__ = ["ReportError", "compare", "generalization", "format_report", "baseline_rows"]
V2_TASKS = {f"imagenet-v2-{v}": v for v in VARIANTS}
IMAGENET_TASKS = ("imagenet", "imagenet-sample")


@dataclass
class Loaded:
    path: Path
    task: str
    model: str
    label_space: str
    correct: dict[str, bool]  # sample id -> correct
    facts: RunFacts

    @property
    def k(self) -> int:
        return sum(self.correct.values())

    @property
    def n(self) -> int:
        return len(self.correct)

    @property
    def identity(self) -> tuple[str, str]:
        return self.facts.identity


def load(path: Path) -> Loaded:
    facts = load_run(path)
    return Loaded(facts.path, facts.task, facts.model,
                  str(facts.manifest.get("label_space", "")),
                  {r["id"]: bool(r.get("correct")) for r in facts.records}, facts)


def _golds(run: Loaded) -> dict[str, str]:
    return {r["id"]: r.get("gold_wnid") for r in run.facts.records}


def _who(run: Loaded) -> str:
    sha = run.facts.prompt_sha
    return (f"model {run.facts.model_id!r} with prompt {run.facts.prompt!r}"
            + (f" ({sha[:12]})" if sha else ""))


def compare(path_a: Path, path_b: Path) -> dict:
    """Paired McNemar on the common sample ids + difference A − B with its interval."""
    a, b = load(path_a), load(path_b)
    if (a.task, a.label_space) != (b.task, b.label_space):
        raise ReportError(f"runs are on different tasks/label spaces ({a.task}/{a.label_space} vs "
                          f"{b.task}/{b.label_space}); compare runs of the same task")
    common = sorted(set(a.correct) & set(b.correct))
    golds_a, golds_b = _golds(a), _golds(b)
    differ = [i for i in common if golds_a.get(i) != golds_b.get(i)]
    if differ:
        raise ReportError(f"{path_a} and {path_b} use sample id {differ[0]!r} for different "
                          f"images (gold {golds_a.get(differ[0])} vs {golds_b.get(differ[0])}); "
                          "they are not the same samples, so a paired test would be wrong")
    if not common:
        raise ReportError(f"{path_a} and {path_b} share no sample ids; nothing to compare")
    res = paired([a.correct[i] for i in common], [b.correct[i] for i in common]).to_dict()
    res.update(task=a.task, model_a=a.model, model_b=b.model,
               acc_a=sum(a.correct[i] for i in common) / len(common),
               acc_b=sum(b.correct[i] for i in common) / len(common))
    return res


def verdict(res: dict) -> str:
    better = res["model_a"] if res["diff"] > 0 else res["model_b"]
    sig = res["p_value"] < 0.05
    return (f"{better} is better by {100 * abs(res['diff']):.1f} pp (p = {res['p_value']:.3g}, "
            f"McNemar {res['test']})" if sig and res["diff"] != 0 else
            f"no significant difference (diff {100 * res['diff']:+.1f} pp, p = "
            f"{res['p_value']:.3g}, McNemar {res['test']}, n = {res['n_common']})")


def generalization(imagenet_run: Path, v2_runs: list[Path]) -> list[dict]:
    """One row per V2 run: accuracies, drop and effective robustness with intervals. Each V2
    run is paired with the ImageNet run of the same model and prompt (model_id + prompt
    content hash); further ImageNet runs may be passed among `v2_runs` for other models. A V2
    run with no such ImageNet run is refused, never paired with another model's score."""
    base = load(imagenet_run)
    if base.task not in IMAGENET_TASKS:
        raise ReportError(f"{imagenet_run}: task {base.task!r} is not ImageNet val; pass the "
                          "ImageNet run first")
    loaded = [load(p) for p in v2_runs]
    bases = [base] + [r for r in loaded if r.task in IMAGENET_TASKS]
    rows = []
    for run in (r for r in loaded if r.task not in IMAGENET_TASKS):
        if run.task not in V2_TASKS:
            raise ReportError(f"{run.path}: task {run.task!r} is not an ImageNet-V2 variant")
        rows.append(_row(_partner(run, bases), run))
    return rows


def _partner(run: Loaded, bases: list[Loaded]) -> Loaded:
    same = [b for b in bases if b.identity == run.identity]
    if not same:
        raise ReportError(f"{run.path}: no ImageNet run of {_who(run)} among the arguments "
                          f"(given: {'; '.join(_who(b) for b in bases)}); pass its ImageNet run")
    if len({b.path for b in same}) > 1:
        raise ReportError(f"{run.path}: several ImageNet runs of {_who(run)} were given "
                          f"({', '.join(str(b.path) for b in same)}); pass one")
    return same[0]


def _row(base: Loaded, run: Loaded) -> dict:
    variant = V2_TASKS[run.task]
    if base.n == 0 or run.n == 0:
        raise ReportError(f"{run.path if run.n == 0 else base.path}: run has no samples")
    return {"model": run.model, "model_id": run.facts.model_id, "prompt": run.facts.prompt,
            "prompt_sha256": run.facts.prompt_sha, "variant": variant,
            "imagenet_task": base.task, "imagenet_run": str(base.path), "v2_run": str(run.path),
            "imagenet": accuracy(base.k, base.n), "v2": accuracy(run.k, run.n),
            "drop": drop(base.k, base.n, run.k, run.n),
            "effective_robustness": effective_robustness(base.k, base.n, run.k, run.n,
                                                         variant)}


N_VAL, N_V2 = 50_000, 10_000  # published accuracies are on the full test sets


def baseline_rows(variant: str = "matched-frequency") -> list[dict]:
    """CNN/CLIP baselines and published VLMs, with drop and ER from the same fit; intervals
    from the published accuracy and the full test-set sizes (50,000 val, 10,000 V2)."""
    out = []
    for b in cnn_baselines() + published_vlms():
        v2 = b.v2.get(variant)
        row = {"model": b.model, "kind": b.kind, "imagenet": None, "v2": None, "drop": None,
               "effective_robustness": None, "source": b.source, "published": True}
        if b.val is not None:
            row["imagenet"] = accuracy(round(b.val * N_VAL), N_VAL)
        if b.val is not None and v2 is not None:
            k_in, k_v2 = round(b.val * N_VAL), round(v2 * N_V2)
            row.update(v2=accuracy(k_v2, N_V2), drop=drop(k_in, N_VAL, k_v2, N_V2),
                       effective_robustness=effective_robustness(k_in, N_VAL, k_v2, N_V2,
                                                                 variant))
        out.append(row)
    return out


def format_report(rows: list[dict]) -> str:
    """Markdown table: measured runs (with 95% intervals) above the published baselines, then
    which run fed which cell of each measured row."""
    def ci(m: dict | None) -> str:
        if m is None:
            return "–"
        return f"{100 * m['value']:.1f} [{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]"

    lines = ["| model | V2 variant | ImageNet top-1 | V2 top-1 | drop (pp) | eff. robustness (pp) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {r['model']} (measured [{i}]) | {r['variant']} | {ci(r['imagenet'])} | "
                     f"{ci(r['v2'])} | {ci(r['drop'])} | {ci(r['effective_robustness'])} |")
    variant = rows[0]["variant"] if rows else "matched-frequency"
    for b in baseline_rows(variant):
        lines.append(f"| {b['model']} (published) | {variant} | {ci(b['imagenet'])} | "
                     f"{ci(b['v2'])} | {ci(b['drop'])} | {ci(b['effective_robustness'])} |")
    fit = baseline_fit(variant)
    lines.append(f"\nFit over {fit.n} standard ImageNet models (imagenet-testbed): logit(V2) = "
                 f"{fit.slope:.4f} logit(ImageNet) {fit.intercept:+.4f}, r = {fit.r:.4f}. "
                 "Intervals: Wilson (accuracies), Newcombe (drop), delta method (ER).")
    return "\n".join(lines + _provenance(rows))


def _provenance(rows: list[dict]) -> list[str]:
    """Which run fed which cell; imagenet-sample is never passed off as ImageNet val."""
    out = ["", "Runs (paired by model id and prompt content):"] if rows else []
    for i, r in enumerate(rows, 1):
        sample = (" (imagenet-sample: 1,000 example photos, not ImageNet val)"
                  if r["imagenet_task"] != "imagenet" else "")
        out.append(f"[{i}] {r['model_id']}, prompt {r['prompt']}: ImageNet top-1 from "
                   f"{r['imagenet_run']}{sample}; V2 top-1 from {r['v2_run']}")
    return out
