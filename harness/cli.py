"""Command line: parses arguments and calls the library. Errors become one line and exit 2."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from harness import __version__

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from harness.backends.hf_classifier import ClassifierError
    from harness.backends.openai_backend import BackendError
    from harness.backends.server import ServerError
    from harness.datasources import DataError
    from harness.prompts import PromptError
    from harness.leaderboard import LeaderboardError
    from harness.publish import PublishError
    from harness.report import ReportError
    from harness.runner import RunError
    from harness.tasks import TaskError

    try:
        return args.func(args) or 0
    except (BackendError, ClassifierError, LeaderboardError, PublishError, ReportError,
            ServerError, DataError, PromptError, RunError, TaskError,
            FileNotFoundError, ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"harness: error: {msg}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("harness: interrupted; finished samples are kept (resume with --resume RUN_DIR)",
              file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="harness", description="Evaluate vision-language models on "
                                "ImageNet-style classification with WordNet-aware answer parsing.")
    p.add_argument("--version", action="version", version=f"harness {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="evaluate a model on a task and write a run directory")
    r.add_argument("--task", default="imagenet-sample")
    r.add_argument("--model", default="llava", help="alias (see `harness models`) or served name")
    r.add_argument("--base-url", help="OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1 "
                   "(default: $HARNESS_BASE_URL / $OPENAI_BASE_URL, else launch vLLM)")
    r.add_argument("--prompt", help="prompt name or YAML file (default: the task's)")
    r.add_argument("--data-dir", help="local copy of the task's dataset")
    r.add_argument("--limit", type=_positive, help="seeded subset, stratified over classes")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--max-tokens", type=_positive, default=64)
    r.add_argument("--temperature", type=float, default=0.0)
    r.add_argument("--concurrency", type=_positive, default=32)
    r.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    r.add_argument("--max-retries", type=int, default=4,
                   help="per request, with backoff honouring Retry-After (429, 5xx, resets)")
    r.add_argument("--image-size", type=_positive, help="resize shorter side to N px first")
    r.add_argument("--output-dir", type=Path, help="runs root (default ./runs or $HARNESS_RUNS_DIR)")
    r.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue an unfinished run")
    r.add_argument("--server-args", default="", help="extra args for a launched vLLM server")
    r.set_defaults(func=cmd_run)

    ls = sub.add_parser("ls", help="list run directories and their headline numbers")
    ls.add_argument("--output-dir", type=Path)
    ls.set_defaults(func=cmd_ls)

    sub.add_parser("models", help="list model aliases").set_defaults(func=cmd_models)
    sub.add_parser("tasks", help="list tasks").set_defaults(func=cmd_tasks)

    pa = sub.add_parser("parse", help="map free-text answers to WordNet synsets (JSONL out)")
    pa.add_argument("input", nargs="?", default="-", help="JSONL {id, text} or plain lines; - = stdin")
    pa.add_argument("-o", "--output", default="-")
    pa.add_argument("--label-space", default="imagenet-1k")
    pa.set_defaults(func=cmd_parse)

    sc = sub.add_parser("score", help="re-parse and re-score a saved run (no model calls)")
    sc.add_argument("run_dir", type=Path)
    sc.set_defaults(func=cmd_score)

    cp = sub.add_parser("compare", help="paired McNemar test of two runs on the same samples")
    cp.add_argument("run_a", type=Path)
    cp.add_argument("run_b", type=Path)
    cp.add_argument("--json", action="store_true", help="machine-readable output")
    cp.set_defaults(func=cmd_compare)

    rp = sub.add_parser("report", help="ImageNet -> V2 drop and effective robustness vs CNNs")
    rp.add_argument("imagenet_run", type=Path)
    rp.add_argument("v2_runs", type=Path, nargs="+")
    rp.add_argument("--json", action="store_true")
    rp.set_defaults(func=cmd_report)

    lb = sub.add_parser("leaderboard", help="build or publish a verified leaderboard")
    lbs = lb.add_subparsers(dest="action", required=True)
    lbb = lbs.add_parser("build", help="verify runs and write README.md, index.html, CSV/JSON, PNG")
    lbb.add_argument("runs", nargs="*", default=["runs"], help="run dirs or globs (default: runs)")
    lbb.add_argument("--name", default="imagenet-generalization", help="definition name or YAML")
    lbb.add_argument("--out", type=Path, required=True)
    lbb.set_defaults(func=cmd_leaderboard_build)
    lbp = lbs.add_parser("publish", help="push a built leaderboard to git or the HF Hub")
    lbp.add_argument("folder", type=Path)
    lbp.add_argument("--to", required=True, help="git+URL[#branch] or hf://datasets|spaces/ORG/NAME")
    lbp.add_argument("--message", default="Update leaderboard")
    lbp.add_argument("--dry-run", action="store_true")
    lbp.set_defaults(func=cmd_leaderboard_publish)

    fx = sub.add_parser("fixtures", help="build offline test fixtures")
    fx.add_argument("kind", choices=["tiny-llava", "tiny-classifier"])
    fx.add_argument("out_dir", type=Path)
    fx.set_defaults(func=cmd_fixtures)

    dm = sub.add_parser("demo", help="offline end-to-end demo: tiny LLaVA on a real local server")
    dm.add_argument("--limit", type=_positive, default=100)
    dm.add_argument("--output-dir", type=Path)
    dm.set_defaults(func=cmd_demo)
    return p


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from harness.runner import RunOptions, run

    opts = RunOptions(task=args.task, model=args.model, base_url=args.base_url, prompt=args.prompt,
                      data_dir=args.data_dir, limit=args.limit, seed=args.seed,
                      max_tokens=args.max_tokens, temperature=args.temperature,
                      concurrency=args.concurrency, timeout_s=args.timeout,
                      max_retries=args.max_retries,
                      image_size=args.image_size, runs_dir=args.output_dir, resume=args.resume,
                      server_args=tuple(args.server_args.split()))
    return _report(*run(opts))


def _report(rundir, res: dict) -> int:
    from harness.results import table

    print(table(res))
    print(rundir.path)
    return 0 if res["complete"] else 1


def cmd_ls(args: argparse.Namespace) -> int:
    from harness.store import iter_runs

    for run in iter_runs(args.output_dir):
        try:
            res = json.loads(run.results.read_text())
            top1 = res["metrics"]["top1"]["value"]
            status = "done" if res.get("complete", True) else "partial"
            print(f"{run.path}\t{res['task']}\t{res['model']}\tn={res['n']}\t"
                  f"top1={100 * top1:.1f}%\t{status}")
        except (OSError, ValueError, KeyError):
            print(f"{run.path}\t(unfinished: no results.json)")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from harness.models import MODELS

    print("alias\tmodel id\tGPU memory\tdescription")
    for p in MODELS.values():
        print(f"{p.alias}\t{p.model_id}\t~{p.gpu_memory_gb:.0f} GB\t{p.description}")
    print("Any other --model value is sent as the served model name.")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from harness.registry import all_tasks

    print("name\tsize\tlabel space\tsource\tfile")
    for name, t in sorted(all_tasks().items()):
        alias = f" (alias of {t.name})" if name != t.name else ""
        print(f"{name}{alias}\t{t.size or '?'}\t{t.label_space}\t{t.source['type']}\t{t.path}")
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from harness.parse import parser_for

    parser = parser_for(args.label_space)
    src = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    dst = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    with src, dst:
        for n, raw in enumerate(src, 1):
            rid, text = _parse_input_line(raw, n)
            res = parser.parse(text) if text is not None else None
            out = {"id": rid, **(res.to_dict() if res else {"wnid": None, "synset": None,
                                                           "label": None, "match": "none",
                                                           "candidates": []})}
            dst.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 0


def _parse_input_line(raw: bytes, n: int) -> tuple[str, str | None]:
    """JSONL {id, text} or a plain text line (id = line number). Bad bytes are replaced."""
    line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    if line.lstrip().startswith("{"):
        try:
            obj = json.loads(line)
            if isinstance(obj, dict):
                text = obj.get("text")
                return str(obj.get("id", n)), text if isinstance(text, str) else None
        except ValueError:
            pass
    return str(n), line


def cmd_score(args: argparse.Namespace) -> int:
    from harness.results import table
    from harness.runner import rescore
    from harness.store import RunDir

    res = rescore(RunDir(args.run_dir))
    print(table(res))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.report import compare, verdict

    res = compare(args.run_a, args.run_b)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{res['task']}: {res['model_a']} {100 * res['acc_a']:.1f}% vs {res['model_b']} "
              f"{100 * res['acc_b']:.1f}% on {res['n_common']} common samples; A only "
              f"{res['a_only']}, B only {res['b_only']}; diff {100 * res['diff']:+.1f} pp "
              f"[{100 * res['ci_low']:+.1f}, {100 * res['ci_high']:+.1f}]")
        print(verdict(res))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from harness.report import format_report, generalization

    rows = generalization(args.imagenet_run, args.v2_runs)
    print(json.dumps(rows, indent=2) if args.json else format_report(rows))
    return 0


def cmd_leaderboard_build(args: argparse.Namespace) -> int:
    from harness.leaderboard import build

    build(args.runs, args.name, args.out)
    print(args.out)
    return 0


def cmd_leaderboard_publish(args: argparse.Namespace) -> int:
    from harness.publish import publish

    print(publish(args.folder, args.to, args.message, args.dry_run))
    return 0


def cmd_fixtures(args: argparse.Namespace) -> int:
    from harness.fixtures import build_tiny_classifier, build_tiny_llava

    build = build_tiny_llava if args.kind == "tiny-llava" else build_tiny_classifier
    print(build(args.out_dir))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the tiny LLaVA, serve it with `transformers serve`, evaluate imagenet-sample."""
    import os

    from harness.backends.server import ManagedServer, free_port, transformers_command
    from harness.fixtures import build_tiny_llava
    from harness.progress import note
    from harness.runner import RunOptions, run

    work = Path(tempfile.mkdtemp(prefix="harness-demo-"))
    model_dir = str(build_tiny_llava(work / "tiny-llava"))
    hub = work / "hub"
    hub.mkdir()
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(hub), "OMP_NUM_THREADS": "1"}
    port = free_port()
    note(f"serving the tiny LLaVA with `transformers serve` on 127.0.0.1:{port} "
         f"(log: {work / 'server.log'})")
    with ManagedServer(transformers_command(model_dir, port), port, work / "server.log",
                       timeout=180, env=env) as server:
        opts = RunOptions(task="imagenet-sample", model=model_dir, base_url=server.base_url,
                          limit=args.limit, concurrency=4, runs_dir=args.output_dir or
                          Path(os.environ.get("HARNESS_RUNS_DIR", "runs")))
        return _report(*run(opts))


if __name__ == "__main__":
    sys.exit(main())
