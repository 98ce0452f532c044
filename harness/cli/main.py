"""Command line: parses arguments and calls the library. Errors become one line and exit 2."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import __version__
from harness.cli import commands

EXIT_ERROR, EXIT_INTERRUPTED = 2, 130


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from harness.backends.classifier import ClassifierError
    from harness.backends.openai_compat import BackendError
    from harness.backends.server import ServerError
    from harness.tasks.sources import DataError
    from harness.prompts.prompt import PromptError
    from harness.report.leaderboard import LeaderboardError
    from harness.report.publish import PublishError
    from harness.report.compare import ReportError
    from harness.runs.run import RunError
    from harness.tasks.task import TaskError

    try:
        _use_plugins(args)
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
    r.add_argument("--retry-budget", type=int, default=1000,
                   help="retries allowed over the whole run before it stops (default 1000)")
    r.add_argument("--max-outage", type=float, default=300.0,
                   help="seconds to wait for a server that stopped answering (default 300)")
    r.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    r.add_argument("--backend", choices=["openai", "transformers"], default="openai",
                   help="openai: an OpenAI-compatible server (default); transformers: load the "
                   "model in this process (CPU or GPU), no server")
    r.add_argument("--image-size", type=_positive, help="resize shorter side to N px first")
    r.add_argument("--output-dir", type=Path, help="runs root (default ./runs or $HARNESS_RUNS_DIR)")
    r.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue an unfinished run")
    r.add_argument("--server-args", default="", help="extra args for a launched vLLM server")
    _plugin_args(r)
    r.set_defaults(func=commands.cmd_run)

    ls = sub.add_parser("ls", help="list run directories and their headline numbers")
    ls.add_argument("--output-dir", type=Path)
    ls.set_defaults(func=commands.cmd_ls)

    sub.add_parser("models", help="list model aliases").set_defaults(func=commands.cmd_models)

    sv = sub.add_parser("serve", help="launch vLLM for a model alone (reuse it across runs)")
    sv.add_argument("model")
    sv.add_argument("--port", type=_positive)
    sv.add_argument("--server-args", default="", help="extra args for vllm serve")
    sv.add_argument("--log", type=Path, default=Path("vllm-server.log"))
    sv.set_defaults(func=commands.cmd_serve)
    tk = sub.add_parser("tasks", help="list tasks, where each was found, and broken plugins")
    tk.add_argument("--json", action="store_true")
    _plugin_args(tk)
    tk.set_defaults(func=commands.cmd_tasks)

    va = sub.add_parser("validate", help="check a task: fields, labels, a few images")
    va.add_argument("task")
    va.add_argument("--data-dir")
    va.add_argument("--json", action="store_true")
    _plugin_args(va)
    va.set_defaults(func=commands.cmd_validate)

    pr = sub.add_parser("prompts", help="list prompts")
    pr.add_argument("--json", action="store_true")
    _plugin_args(pr)
    pr.set_defaults(func=commands.cmd_prompts)

    pa = sub.add_parser("parse", help="map free-text answers to WordNet synsets (JSONL out)")
    pa.add_argument("input", nargs="?", default="-", help="JSONL {id, text} or plain lines; - = stdin")
    pa.add_argument("-o", "--output", default="-")
    pa.add_argument("--label-space", default="imagenet-1k")
    pa.set_defaults(func=commands.cmd_parse)

    sc = sub.add_parser("score", help="re-parse and re-score a saved run (no model calls)")
    sc.add_argument("run_dir", type=Path)
    sc.set_defaults(func=commands.cmd_score)

    cp = sub.add_parser("compare", help="paired McNemar test of two runs on the same samples")
    cp.add_argument("run_a", type=Path)
    cp.add_argument("run_b", type=Path)
    cp.add_argument("--json", action="store_true", help="machine-readable output")
    cp.set_defaults(func=commands.cmd_compare)

    rp = sub.add_parser("report", help="ImageNet -> V2 drop and effective robustness vs CNNs")
    rp.add_argument("imagenet_run", type=Path)
    rp.add_argument("v2_runs", type=Path, nargs="+")
    rp.add_argument("--json", action="store_true")
    rp.set_defaults(func=commands.cmd_report)

    lb = sub.add_parser("leaderboard", help="build or publish a verified leaderboard")
    lbs = lb.add_subparsers(dest="action", required=True)
    lbb = lbs.add_parser("build", help="verify runs and write README.md, index.html, CSV/JSON, PNG")
    lbb.add_argument("runs", nargs="*", default=["runs"], help="run dirs or globs (default: runs)")
    lbb.add_argument("--name", default="imagenet-generalization", help="definition name or YAML")
    lbb.add_argument("--out", type=Path, required=True)
    lbb.set_defaults(func=commands.cmd_leaderboard_build)
    lbp = lbs.add_parser("publish", help="push a built leaderboard to git or the HF Hub")
    lbp.add_argument("folder", type=Path)
    lbp.add_argument("--to", required=True, help="git+URL[#branch] or hf://datasets|spaces/ORG/NAME")
    lbp.add_argument("--message", default="Update leaderboard")
    lbp.add_argument("--dry-run", action="store_true")
    lbp.set_defaults(func=commands.cmd_leaderboard_publish)

    ca = sub.add_parser("cache", help="the response cache: info or clear")
    ca.add_argument("action", choices=["info", "clear"])
    ca.set_defaults(func=commands.cmd_cache)

    fx = sub.add_parser("fixtures", help="build offline test fixtures")
    fx.add_argument("kind", choices=["tiny-llava", "tiny-classifier"])
    fx.add_argument("out_dir", type=Path)
    fx.set_defaults(func=commands.cmd_fixtures)

    dm = sub.add_parser("demo", help="offline end-to-end demo: tiny LLaVA on a real local server")
    dm.add_argument("--limit", type=_positive, default=100)
    dm.add_argument("--output-dir", type=Path)
    dm.set_defaults(func=commands.cmd_demo)
    return p


def _plugin_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks-dir", action="append", default=[],
                   help="folder of task YAML/Python files (repeatable; before HARNESS_TASKS_PATH)")
    p.add_argument("--prompts-dir", action="append", default=[],
                   help="folder of prompt YAML files (repeatable; before HARNESS_PROMPTS_PATH)")


def _use_plugins(args: argparse.Namespace) -> None:
    from harness.prompts.prompt import set_prompt_dirs
    from harness.tasks.registry import set_task_dirs

    set_task_dirs(getattr(args, "tasks_dir", []))
    set_prompt_dirs(getattr(args, "prompts_dir", []))


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
