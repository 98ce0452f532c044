"""Shared by the leaderboard tests: small ImageNet/V2 folders, real runs against the loopback
fake server, and a leaderboard definition whose canonical selection is those small folders
(derived from the folders with the task loaders, independently of any run)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from harness.cli.main import main
from harness.report.verify import selection_digest
from harness.resources import resource_dir
from harness.store.rundir import safe_name
from harness.tasks.sample import fingerprint
from harness.tasks.sources import load_class_folders, load_imagenetv2
from harness.wordnet.graph import label_space

from conftest import SAMPLE_IMAGES

WNIDS = label_space("imagenet-1k").wnids
V2_FOLDER = "imagenetv2-matched-frequency-format-val"


def datasets(root: Path, n: int = 20, offset: int = 0) -> tuple[Path, Path]:
    """`n` shipped photos as a wnid-folder "ImageNet val" and an index-folder "V2"."""
    val, v2 = root / "val", root / "v2" / V2_FOLDER
    for p in sorted(SAMPLE_IMAGES.iterdir())[offset:offset + n]:
        wnid = p.name.split("_")[0]
        (val / wnid).mkdir(parents=True)
        shutil.copy(p, val / wnid / p.name)
        (v2 / str(WNIDS.index(wnid))).mkdir(parents=True)
        shutil.copy(p, v2 / str(WNIDS.index(wnid)) / "x.jpeg")
    return val, v2.parent


def run(url: str, model: str, task: str, data: Path | None, runs: Path, *extra: str) -> Path:
    where = ["--data-dir", str(data)] if data else []
    assert main(["run", "--model", model, "--base-url", url, "--task", task, *where,
                 "--output-dir", str(runs), "--concurrency", "2", *extra]) == 0
    real = "imagenet-v2-matched-frequency" if task == "imagenet-v2" else task
    return max((runs / real / safe_name(model)).iterdir())


def _selection(samples) -> dict:
    pairs = [{"id": s.id, "gold_wnid": s.gold_wnid} for s in samples]
    return {"size": len(samples), "selections": [
        {"layout": "test folders", "fingerprint": fingerprint(samples),
         "set_sha256": selection_digest(pairs)}]}


def definition(tmp: Path, val: Path, v2: Path) -> Path:
    """The shipped imagenet-generalization definition with the small folders as canonical."""
    raw = yaml.safe_load((resource_dir("leaderboards") / "imagenet-generalization.yaml")
                         .read_text())
    raw["canonical"] = {"imagenet": _selection(load_class_folders(val)),
                        "imagenet-v2-matched-frequency": _selection(load_imagenetv2(v2 / V2_FOLDER))}
    path = tmp / "small-board.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for p in parents:
            node = node[p]
        node[last] = value
    path.write_text(json.dumps(data))


HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
ANSWERS = {HOSTILE: "a tench", "m2": "a brambling"}


def board_runs_for(root: Path) -> dict:
    """ImageNet + V2 runs of a hostile-named model and a normal one, each right once in 20,
    and the small definition they are canonical for."""
    from fakeserver import FakeServer, chat_reply

    val, v2 = datasets(root)
    runs = root / "runs"
    with FakeServer(lambda b: (200, chat_reply(ANSWERS.get(b.get("model"), "a dog"))),
                    models=[HOSTILE, "m2"]) as srv:
        made = {(m, t): run(srv.base_url, m, t, d, runs)
                for m in (HOSTILE, "m2") for t, d in (("imagenet", val), ("imagenet-v2", v2))}
    return {"root": root, "runs": runs, "made": made, "val": val, "v2": v2,
            "definition": definition(root, val, v2)}


def build(runs: list, definition: Path, out: Path) -> dict:
    assert main(["leaderboard", "build", *map(str, runs), "--name", str(definition),
                 "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def measured(board: dict) -> dict:
    return {r["model"]: r for r in board["rows"] if r["status"] == "measured"}
