#!/usr/bin/env bash
# KernelCast's Triton autotuner hook inside a real Triton autotune on the H200 (calibration/harness/autotune_proof.py),
# in parts that each fit one device command of at most 9 minutes. Run from the repository root on the GPU host with
# a static build carried in .dist/ (kernelcast, or kernelcast.xz); everything it writes lands in $OUT.
#
#   bash calibration/campaign/h200-autotune.sh gemm-a    # GEMM shapes 0,1: full / kc3 / kc5 autotunes + re-timing
#   bash calibration/campaign/h200-autotune.sh gemm-b    # GEMM shapes 2,3,4
#   bash calibration/campaign/h200-autotune.sh rows      # the softmax row kernel, 2 shapes, full / kc3
#   bash calibration/campaign/h200-autotune.sh rows --shapes 4   # extra arguments go to autotune_proof.py:
#                                                          # here a GEMM shape the budget guard skipped before
#
# Output: $OUT/autotune-h200.json and $OUT/autotune-h200.md (the table), $OUT/autotune-<part>.log, the server's log
# $OUT/kernelcast-serve-<part>.log and nvidia-smi before and after. To merge parts into one file: either carry the
# previous result into the work tree and name it in PREV (PREV=path/autotune-h200.json bash ... gemm-b; runs done
# there are kept and not run again), or merge the fetched files here:
#   python3 calibration/harness/autotune_proof.py --merge a.json b.json rows.json --out autotune-h200.json
# BUDGET_S (default 500) is the proof's wall-clock guard: a shape that no longer fits is recorded as skipped.
# Device time (a 162-config fresh-cache autotune ~150-185 s per shape, a KernelCast run ~12-20 s, a re-timing
# ~12-20 s): gemm-a ~6.5-8.5 min; gemm-b needs ~9.5-12 min for three shapes, so the guard will likely skip shape 4
# (recorded as skipped, ~8.5 min used): finish it with `rows --shapes 4` (~6-7 min); rows alone ~2.5 min.
# Give each device command the 600 s limit: the guard stops starting work at BUDGET_S.
set -uo pipefail
ROOT="$(pwd)"
OUT="${OUT:?set OUT to the folder for results}"
PART="${1:?usage: h200-autotune.sh gemm-a|gemm-b|rows [extra autotune_proof.py arguments]}"
shift
PORT="${KC_PORT:-8471}"
BUDGET_S="${BUDGET_S:-500}"
mkdir -p "$OUT" .dist
export PYTHONUNBUFFERED=1

case "$PART" in
  gemm-a) ARGS=(--shapes 0,1) ;;
  gemm-b) ARGS=(--shapes 2,3,4) ;;
  rows)   ARGS=(--rows) ;;
  *) echo "h200-autotune.sh: unknown part '$PART' (gemm-a, gemm-b, rows)" >&2; exit 2 ;;
esac

if [[ ! -x .dist/kernelcast ]]; then
  if [[ -f .dist/kernelcast.xz ]]; then
    xz -dc .dist/kernelcast.xz > .dist/kernelcast && chmod +x .dist/kernelcast
  else
    echo "h200-autotune.sh: neither .dist/kernelcast nor .dist/kernelcast.xz" >&2; exit 2
  fi
fi
KC="$ROOT/.dist/kernelcast"
export KERNELCAST_MACHINES="$ROOT/machines"

echo "== environment"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv 2>&1 \
  | tee "$OUT/nvidia-smi-$PART-before.txt"
python3 -c 'import sys, os, torch, triton; print("python", sys.version.split()[0], "| torch", torch.__version__, "| triton", triton.__version__, "| cuda", torch.version.cuda, "| cpus", os.cpu_count())'

echo "== kernelcast serve --port $PORT"
"$KC" serve --port "$PORT" > "$OUT/kernelcast-serve-$PART.log" 2>&1 &
SERVER=$!
stop_server() {
  kill "$SERVER" 2>/dev/null
  wait "$SERVER" 2>/dev/null
}
trap stop_server EXIT
export KERNELCAST_URL="http://127.0.0.1:$PORT"
UP=0
for _ in $(seq 1 150); do
  if ! kill -0 "$SERVER" 2>/dev/null; then break; fi
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/v1/health", timeout=2).read()' \
       "$KERNELCAST_URL" 2>/dev/null; then
    UP=1; break
  fi
  sleep 0.2
done
if [[ $UP -ne 1 ]]; then
  echo "h200-autotune.sh: kernelcast serve did not answer on $KERNELCAST_URL/v1/health; its log:" >&2
  cat "$OUT/kernelcast-serve-$PART.log" >&2
  exit 3
fi
head -5 "$OUT/kernelcast-serve-$PART.log"

RESULT="$OUT/autotune-h200.json"
APPEND=()
if [[ -n "${PREV:-}" ]]; then
  if [[ -f "$PREV" ]]; then
    cp "$PREV" "$RESULT" && APPEND=(--append)
    echo "== continuing $PREV"
  else
    echo "h200-autotune.sh: PREV=$PREV is not a file; starting a new result" >&2
  fi
fi

echo "== autotune_proof.py ${ARGS[*]} $* (budget ${BUDGET_S} s)"
python3 calibration/harness/autotune_proof.py "${ARGS[@]}" "$@" --out "$RESULT" --budget-s "$BUDGET_S" "${APPEND[@]}" \
  2>&1 | tee "$OUT/autotune-$PART.log"
RC=${PIPESTATUS[0]}

nvidia-smi --query-gpu=name,clocks.sm,temperature.gpu,power.draw --format=csv > "$OUT/nvidia-smi-$PART-after.txt" 2>&1
echo "== done (autotune_proof.py exited $RC)"
exit "$RC"
