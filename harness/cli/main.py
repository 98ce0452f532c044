"""Command line: parses arguments, calls the library, prints. The only layer that prints.

A HarnessError (anything the user can fix) is one line on stderr and exit 2; `--debug` adds its
traceback. Any other exception is a bug: its traceback is shown with a line asking for a report.
"""
from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

from harness.cli import commands
from harness.errors import HarnessError

EXIT_ERROR, EXIT_BUG, EXIT_INTERRUPTED = 2, 3, 130
ISSUES = "https://github.com/harness-vlm/harness/issues"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(run_flags=_command(argv) == "run").parse_args(argv)
    _log_to_stderr()
    try:
        return args.func(args) or 0
    except HarnessError as e:
        if args.debug:
            traceback.print_exc()
        print(f"harness: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        where = getattr(args, "_run_dir", None)
        hint = f"harness run --resume {where}" if where else "harness run --resume RUN_DIR"
        print(f"harness: interrupted; finished samples are kept (continue with: {hint})",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # a bug in the harness, not the user's mistake: show everything
        traceback.print_exc()
        print(f"harness: internal error (a bug): please report it with the traceback above at "
              f"{ISSUES}", file=sys.stderr)
        return EXIT_BUG


class _Stderr(logging.Handler):
    """Library notes (logger "harness") as plain lines on the current sys.stderr, with secrets
    scrubbed."""

    def emit(self, record: logging.LogRecord) -> None:
        from harness.secrets import scrub

        print(scrub(record.getMessage()), file=sys.stderr, flush=True)


def _log_to_stderr() -> None:
    logger = logging.getLogger("harness")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        logger.addHandler(_Stderr())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


class _Version(argparse.Action):
    """--version, read from package metadata only when asked."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from harness.resources import version

        print(f"harness {version()}")
        parser.exit()


def build_parser(run_flags: bool = True) -> argparse.ArgumentParser:
    """The whole command line. The `run` flags come from the manifest (pydantic), which costs
    ~0.1 s to import: other commands skip them (`run_flags=False`)."""
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = argparse.ArgumentParser(prog="harness", description="Evaluate vision-language models on "
                                "ImageNet-style classification with WordNet-aware answer parsing.")
    p.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors too")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, help: str, func, **kw) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kw)
        sp.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
        sp.set_defaults(func=func)
        return sp

    r = cmd("run", "evaluate a model on a task and write a run directory", commands.cmd_run)
    if run_flags:
        from harness.cli.args import add_run_options

        add_run_options(r)
    r.add_argument("--output-dir", type=Path, metavar="DIR",
                   help="runs root (default: $HARNESS_RUNS_DIR, else ./runs)")
    r.add_argument("--resume", type=Path, metavar="RUN_DIR",
                   help="continue an unfinished run (options that change results are refused)")
    _plugin_args(r)

    mg = cmd("merge", "join the run dirs of `harness run --shard K/N` into one run dir",
             commands.cmd_merge)
    mg.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR",
                    help="the run dir of every shard, 1/N to N/N")
    mg.add_argument("--output-dir", type=Path, metavar="DIR",
                    help="runs root for the merged run (default: $HARNESS_RUNS_DIR, else ./runs)")

    ls = cmd("ls", "list run directories with their headline numbers", commands.cmd_ls)
    ls.add_argument("--output-dir", type=Path, metavar="DIR",
                    help="runs root to list (default: $HARNESS_RUNS_DIR, else ./runs)")
    ls.add_argument("--json", action="store_true", help="machine-readable output")

    mo = cmd("models", "list model aliases and what each needs", commands.cmd_models)
    mo.add_argument("--json", action="store_true", help="machine-readable output")

    sv = cmd("serve", "launch vLLM for a model alone (reuse it across runs)",
             commands.cmd_serve, formatter_class=fmt)
    sv.add_argument("model", help="alias (see `harness models`) or Hugging Face model id")
    sv.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    sv.add_argument("--server-args", default="", help="extra arguments for vllm serve")
    sv.add_argument("--log", type=Path, default=Path("vllm-server.log"), help="server log file")
    sv.add_argument("--replicas", type=_positive, default=1,
                    help="servers to start, each on its own group of GPUs")
    sv.add_argument("--tensor-parallel-size", type=_positive, default=1, help="GPUs per server")

    tk = cmd("tasks", "list tasks, where each was found, and broken plugins", commands.cmd_tasks)
    tk.add_argument("--json", action="store_true", help="machine-readable output")
    _plugin_args(tk)

    va = cmd("validate", "check a task: fields, labels, ids, a few images", commands.cmd_validate)
    va.add_argument("task", help="task name (see `harness tasks`)")
    va.add_argument("--data-dir", help="local copy of the task's dataset")
    va.add_argument("--json", action="store_true", help="machine-readable output")
    _plugin_args(va)

    pr = cmd("prompts", "list prompts", commands.cmd_prompts)
    pr.add_argument("--json", action="store_true", help="machine-readable output")
    _plugin_args(pr)

    pa = cmd("parse", "map free-text answers to WordNet synsets (JSONL out)", commands.cmd_parse,
             formatter_class=fmt)
    pa.add_argument("input", nargs="?", default="-",
                    help="JSONL {id, text} or plain lines; - = stdin")
    pa.add_argument("-o", "--output", default="-", help="output JSONL file; - = stdout")
    pa.add_argument("--label-space", default="imagenet-1k",
                    help="imagenet-1k, imagenet-a-200 or imagenet-r-200")
    pa.add_argument("--explain", action="store_true",
                    help="add the trace of parser rules to each output line")

    sc = cmd("score", "re-parse and re-score a saved run (no model calls)", commands.cmd_score)
    sc.add_argument("run_dir", type=Path, help="a run directory")
    sc.add_argument("--json", action="store_true", help="print results.json")

    cp = cmd("compare", "paired McNemar test of two runs on the same samples",
             commands.cmd_compare)
    cp.add_argument("run_a", type=Path, help="first run directory")
    cp.add_argument("run_b", type=Path, help="second run directory")
    cp.add_argument("--json", action="store_true", help="machine-readable output")

    rp = cmd("report", "ImageNet -> V2 drop and effective robustness vs CNNs",
             commands.cmd_report)
    rp.add_argument("imagenet_run", type=Path, help="run directory of the ImageNet run")
    rp.add_argument("v2_runs", type=Path, nargs="+", help="run directories of ImageNet-V2 runs")
    rp.add_argument("--json", action="store_true", help="machine-readable output")

    lb = cmd("leaderboard", "build or publish a verified leaderboard", None)
    lbs = lb.add_subparsers(dest="action", required=True, metavar="ACTION",
                            help="build: verify runs and write the page; publish: push it")
    lbb = lbs.add_parser("build", help="verify runs and write README.md, index.html, CSV/JSON, "
                         "PNG", formatter_class=fmt)
    lbb.add_argument("runs", nargs="*", default=["runs"], help="run dirs or globs")
    lbb.add_argument("--name", default="imagenet-generalization",
                     help="leaderboard definition name or YAML file")
    lbb.add_argument("--out", type=Path, required=True, help="folder to write the build into")
    lbb.set_defaults(func=commands.cmd_leaderboard_build)
    lbp = lbs.add_parser("publish", help="push a built leaderboard to git or the HF Hub",
                         formatter_class=fmt)
    lbp.add_argument("folder", type=Path, help="a folder written by `leaderboard build`")
    lbp.add_argument("--to", required=True, help="git+URL[#branch] or hf://datasets|spaces/ORG/NAME")
    lbp.add_argument("--message", default="Update leaderboard", help="commit message")
    lbp.add_argument("--dry-run", action="store_true", help="show what would be pushed")
    lbp.set_defaults(func=commands.cmd_leaderboard_publish)

    ca = cmd("cache", "the response cache: where it is, how big, or clear it", commands.cmd_cache)
    ca.add_argument("action", choices=["info", "clear"],
                    help="info: size and path; clear: empty it")

    fx = cmd("fixtures", "build the tiny offline models the demo and tests use",
             commands.cmd_fixtures)
    fx.add_argument("kind", choices=["tiny-llava", "tiny-classifier"], help="which model")
    fx.add_argument("out_dir", type=Path, help="folder to write it into")

    dm = cmd("demo", "offline end-to-end demo: tiny LLaVA on a real local server",
             commands.cmd_demo, formatter_class=fmt)
    dm.add_argument("--limit", type=int, default=100, help="samples of imagenet-sample to run")
    dm.add_argument("--output-dir", type=Path, help="runs root (default: $HARNESS_RUNS_DIR, "
                    "else ./runs)")
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _plugin_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks-dir", action="append", default=[], metavar="DIR",
                   help="folder of task YAML/Python files (repeatable; before HARNESS_TASKS_PATH)")
    p.add_argument("--prompts-dir", action="append", default=[], metavar="DIR",
                   help="folder of prompt YAML files (repeatable; before HARNESS_PROMPTS_PATH)")


if __name__ == "__main__":
    sys.exit(main())
