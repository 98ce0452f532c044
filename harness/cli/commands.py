"""The implementation of each `harness` subcommand: read arguments, call the library, print."""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from harness.cli.progress import note
from harness.errors import HarnessError


def _registry(args: argparse.Namespace):
    from harness.runs.plan import Registry

    return Registry(tuple(getattr(args, "tasks_dir", ())), tuple(getattr(args, "prompts_dir", ())))


def cmd_run(args: argparse.Namespace) -> int:
    from harness.cli.args import run_options
    from harness.cli.progress import Progress
    from harness.runs.run import run

    opts = run_options(args)
    return _report(*run(opts, registry=_registry(args), runs_dir=args.output_dir,
                        resume=args.resume, progress=Progress,
                        on_start=lambda r: _started(args, r)))


def cmd_merge(args: argparse.Namespace) -> int:
    from harness.runs.merge import merge

    return _report(*merge(args.run_dirs, args.output_dir))


def _report(rundir, res: dict) -> int:
    from harness.cli.tables import results_table

    print(results_table(res))
    print(rundir.path)
    if res.get("n_failed"):
        note(f"{res['n_failed']} samples failed past their retries (not a measurement); the run "
             f"is incomplete: retry them with `harness run --resume {rundir.path}`")
    return 0 if res["complete"] else 1


def cmd_ls(args: argparse.Namespace) -> int:
    from harness.store import iter_runs

    rows = []
    for run in iter_runs(args.output_dir):
        row = {"run_dir": str(run.path), "status": "unfinished"}
        try:
            res = json.loads(run.results.read_text())
            row.update(task=res["task"], model=res["model"], n=res["n"],
                       n_expected=res.get("n_expected"), top1=res["metrics"]["top1"]["value"],
                       status="complete" if res.get("complete", True) else "partial")
        except (OSError, ValueError, KeyError):
            try:
                m = run.manifest()
                row.update(task=m.task, model=m.model, n_expected=m.n_samples)
            except Exception:
                pass
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("status\ttask\tmodel\tn\ttop-1\trun dir")
    for r in rows:
        n = f"{r.get('n', 0)}/{r.get('n_expected') or '?'}"
        top1 = f"{100 * r['top1']:.1f}%" if "top1" in r else "-"
        print(f"{r['status']}\t{r.get('task', '?')}\t{r.get('model', '?')}\t{n}\t{top1}\t"
              f"{r['run_dir']}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from harness.backends.models import MODELS

    rows = [{"alias": p.alias, "model_id": p.model_id, "gpu_memory_gb": p.gpu_memory_gb,
             "description": p.description, "vllm_args": list(p.vllm_args)}
            for p in MODELS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("alias\tmodel id\tGPU memory\tdescription")
    for r in rows:
        print(f"{r['alias']}\t{r['model_id']}\t~{r['gpu_memory_gb']:.0f} GB\t{r['description']}")
    print("Any other --model value is sent as the served model name; hf:<id or folder> runs an "
          "image classifier.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Start vLLM with the model's profile (`--replicas N`: N servers on N groups of GPUs),
    print the base URLs and the `harness run` line that uses them all, stop them on
    Ctrl-C/SIGTERM."""
    import signal
    import time

    from harness.backends.models import resolve
    from harness.backends.server import ManagedGroup, gpu_groups, visible_gpus
    from harness.runs.run import managed_vllm

    tp, n = args.tensor_parallel_size, args.replicas
    groups = gpu_groups(n, tp, visible_gpus() if n > 1 else None)
    logs = [args.log] + [args.log.with_name(f"{args.log.stem}-{i + 1}{args.log.suffix}")
                         for i in range(1, n)]
    group = ManagedGroup([
        managed_vllm(args.model, logs[i],
                     tuple(args.server_args.split()), args.port if i == 0 else None,
                     tensor_parallel=tp, gpus=g)
        for i, g in enumerate(groups)])
    signal.signal(signal.SIGTERM, _interrupt)
    with group:
        urls = " ".join(f"--base-url {u}" for u in group.base_urls)
        print(f"serving {resolve(args.model)[0]} at {', '.join(group.base_urls)} (Ctrl-C stops "
              f"it); run with: harness run --model {args.model} {urls}", flush=True)
        try:
            while all(s.proc is not None and s.proc.poll() is None for s in group.servers):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def cmd_tasks(args: argparse.Namespace) -> int:
    from harness.tasks.registry import catalog

    cat = catalog(tuple(args.tasks_dir))
    rows = [{"name": name, "task": f.task.name, "size": f.task.size,
             "label_space": f.task.space_name, "source": f.task.source["type"],
             "origin": f.origin} for name, f in sorted(cat.tasks.items())]
    problems = [{"origin": p.origin, "error": p.message} for p in cat.problems]
    if args.json:
        print(json.dumps({"tasks": rows, "problems": problems, "shadowed": cat.shadowed},
                         indent=2))
        return 0
    print("name\tsize\tlabel space\tsource\tfound in")
    for r in rows:
        alias = f" (alias of {r['task']})" if r["name"] != r["task"] else ""
        print(f"{r['name']}{alias}\t{r['size'] or '?'}\t{r['label_space']}\t{r['source']}\t"
              f"{r['origin']}")
    for s in cat.shadowed:
        print(f"shadowed: {s}")
    for p in problems:
        print(f"BROKEN: {p['origin']}: {p['error']}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from harness.runs.validate import validate

    res = validate(args.task, args.data_dir, task_dirs=tuple(args.tasks_dir),
                   prompt_dirs=tuple(args.prompts_dir))
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"task {res['task']} ({res['origin'] or 'not found'})")
        for c in res["checks"]:
            print(f"  ok: {c}")
        for p in res["problems"]:
            print(f"  problem: {p}")
        print("valid" if res["ok"] else f"{len(res['problems'])} problem(s)")
    return 0 if res["ok"] else 1


def cmd_prompts(args: argparse.Namespace) -> int:
    from harness.prompts.prompt import PromptError, all_prompts, parse_prompt

    rows = []
    for name, (path, origin) in sorted(all_prompts(tuple(args.prompts_dir)).items()):
        try:
            p = parse_prompt(path)
            rows.append({"name": name, "origin": origin, "path": str(path),
                         "choices": p.choices, "description": " ".join(p.description.split())})
        except PromptError as e:
            rows.append({"name": name, "origin": origin, "path": str(path), "error": str(e)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['name']}\t{r['origin']}\t{r.get('error') or r['description'][:90]}")
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from harness.resources import collector_paused

    with collector_paused():  # start-up makes ~10^6 objects and no garbage: 20% of it was GC
        from harness.parse import freeze_tables, parser_for
        from harness.parse.stream import parse_lines

        parser = parser_for(args.label_space)
        freeze_tables()  # a one-shot process: keep the tables out of the GC's full sweeps
    try:
        src = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
        dst = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    except OSError as e:
        raise HarnessError(f"{e.filename}: {e.strerror}") from None
    with src, dst:
        parse_lines(src, dst, parser, explain=args.explain, freeze=True)
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from harness.cli.tables import results_table
    from harness.runs.rescore import rescore
    from harness.store import RunDir

    res = rescore(RunDir(args.run_dir))
    print(json.dumps(res, indent=2) if args.json else results_table(res))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from harness.report.compare import compare, verdict

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
    from harness.report.compare import format_report, generalization

    rows = generalization(args.imagenet_run, args.v2_runs)
    print(json.dumps(rows, indent=2) if args.json else format_report(rows))
    return 0


def cmd_leaderboard_build(args: argparse.Namespace) -> int:
    from harness.report.leaderboard import build

    build(args.runs, args.name, args.out)
    print(args.out)
    return 0


def cmd_leaderboard_publish(args: argparse.Namespace) -> int:
    from harness.report.publish import publish

    print(publish(args.folder, args.to, args.message, args.dry_run))
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    from harness.backends.cache import ResponseCache

    cache = ResponseCache()
    if args.action == "clear":
        print(f"removed {cache.clear()} cached answers from {cache.path}")
    else:
        info = cache.info()
        print(f"{info['path']}: {info['entries']} answers from {info['models']} model(s), "
              f"{info['bytes'] / 1e6:.1f} MB")
    cache.close()
    return 0


def cmd_fixtures(args: argparse.Namespace) -> int:
    from harness.backends.fixtures import build_tiny_classifier, build_tiny_llava

    build = build_tiny_llava if args.kind == "tiny-llava" else build_tiny_classifier
    print(build(args.out_dir))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the tiny LLaVA (once, into the user cache, as model `tiny-llava-demo`), serve it
    with `transformers serve`, evaluate imagenet-sample. The server's temporary files are
    removed on every exit, Ctrl-C included."""
    import shutil

    from harness.backends.fixtures import build_tiny_llava
    from harness.backends.models import DEMO_MODEL, demo_model_dir
    from harness.backends.server import ManagedServer, free_port, transformers_command
    from harness.cli.progress import Progress
    from harness.manifest import RunOptions
    from harness.runs.run import run

    model_dir = demo_model_dir()
    if not (model_dir / "model.safetensors").is_file():
        note(f"building the tiny LLaVA into {model_dir}")
        build_tiny_llava(model_dir)
    work = Path(tempfile.mkdtemp(prefix="harness-demo-"))
    try:
        (work / "hub").mkdir()
        env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(work / "hub"), "OMP_NUM_THREADS": "1"}
        port = free_port()
        note(f"serving {DEMO_MODEL} with `transformers serve` on 127.0.0.1:{port}")
        with ManagedServer(transformers_command(str(model_dir), port), port,
                           work / "server.log", timeout=180, env=env) as server:
            opts = RunOptions(task="imagenet-sample", model=DEMO_MODEL,
                              base_url=server.base_url, limit=args.limit, concurrency=4)
            return _report(*run(opts, runs_dir=args.output_dir, progress=Progress,
                                on_start=lambda r: _started(args, r)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _started(args: argparse.Namespace, rundir) -> None:
    args._run_dir = rundir.path
    note(f"run dir: {rundir.path}")
