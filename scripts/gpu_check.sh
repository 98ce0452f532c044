#!/usr/bin/env bash
# GPU check on a lent accelerator machine that has torch but no package registry: the harness runs
# from this checkout, its missing dependencies come as wheels in .whl/ (see BENCHMARKS.md, "GPU").
# Not part of the test suite. Checks the CUDA paths a CPU box cannot: the in-process backend on
# the GPU, and `transformers serve --device cuda` driven through the OpenAI client. Usage:
#   bash scripts/gpu_check.sh [N_SAMPLES]
# The wheels (Python 3.12, x86-64), fetched where pip can reach PyPI, into an ignored .whl/:
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 -d .whl openai pydantic pydantic_core jiter distro \
#     jsonlines annotated-types typing-inspection fastapi starlette uvicorn transformers sniffio \
#     httpx2 httpcore2 truststore idna anyio typing-extensions opentelemetry-api
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD PATH=/tmp/site/bin:$PATH
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
WORK=$(mktemp -d /tmp/gpu-check.XXXXXX)
mkdir "$WORK/hub"
export HF_HUB_CACHE="$WORK/hub"  # `transformers serve` lists the hub cache in /v1/models
H="python3 -m harness"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, transformers, openai; print('torch', torch.__version__, '| cuda',
torch.cuda.is_available(), '| transformers', transformers.__version__, '| openai', openai.__version__)"
$H fixtures tiny-llava "$WORK/tiny-llava" >/dev/null

echo "== in-process backend (device picked automatically: cuda)"
start=$(date +%s.%N)
$H run --task imagenet-sample --backend transformers --model "$WORK/tiny-llava" --limit "$N" \
  --max-tokens 16 --no-cache --output-dir "$WORK/runs" 2>&1 | tail -12
echo "wall $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"

echo "== transformers serve --device cuda, harness over the OpenAI API"
PORT=$(python3 -c "from harness.backends.server import free_port; print(free_port())")
transformers serve "$WORK/tiny-llava" --host 127.0.0.1 --port "$PORT" --device cuda \
  --dtype float32 > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 180); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 $SERVER 2>/dev/null || { tail -20 "$WORK/serve.log"; exit 1; }
  sleep 1
done
start=$(date +%s.%N)
$H run --task imagenet-sample --model "$WORK/tiny-llava" --base-url "http://127.0.0.1:$PORT/v1" \
  --limit "$N" --max-tokens 16 --concurrency 8 --no-cache --output-dir "$WORK/runs" 2>&1 | tail -12 \
  || { tail -30 "$WORK/serve.log"; exit 1; }
echo "wall $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
grep -i -m3 "cuda\|device" "$WORK/serve.log" || true
nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader || true
kill $SERVER; wait $SERVER 2>/dev/null || true

echo "== greedy answers: in-process on the GPU vs served on the GPU, same samples"
python3 - "$WORK/runs" <<'PY'
import json, sys
from pathlib import Path
runs = sorted(Path(sys.argv[1]).glob("*/*/*/samples.jsonl"), key=lambda p: p.stat().st_mtime)
a, b = ({r["id"]: r["response"] for r in map(json.loads, p.read_text().splitlines())}
        for p in runs[-2:])
same = sum(a[k] == b.get(k) for k in a)
print(f"{same}/{len(a)} identical answers")
PY
