#!/usr/bin/env bash
# Fusion measurements on the H200 (calibration/harness/fusion_h200.py), one device command of at most ~9.5 minutes.
# Run from the repository root on the GPU host; everything it writes lands in $OUT/fusion:
#
#   bash calibration/campaign/h200-fusion.sh                         # all parts: eager, ops, norms, gemm, gemm_bf16
#   bash calibration/campaign/h200-fusion.sh --parts gemm_bf16       # extra arguments go to `fusion_h200.py all`
#
# Output ($OUT/fusion, at most 7 files, under the device's 8-file limit):
#   op_costs.json             role fit    per-op issue cost (dependent chains in registers)
#   gemm_epilogue_pairs.json  role judge  fused GEMM+bias+activation vs cuBLAS addmm + torch activation
#   norm_pairs.json           role judge  fused residual add + LayerNorm/RMSNorm vs torch add + norm
#   eager_block_kernels.json  role judge  the eager transformer block's kernels, each linked to its aten op
#   eager_block_trace.json    raw Chrome trace of one eager block forward (gzipped to .json.gz if over 5 MB)
#   fusion.log                the run's log (tee of stdout/stderr)
#   nvidia-smi.txt            nvidia-smi before and after
# BUDGET_S (default 480) is the wall-clock guard, counted from this script's start: no new item starts after it.
# The Python process is killed at KC_FUSION_TIMEOUT_S (default 570); results are written after every item.
set -uo pipefail
OUT="${OUT:?set OUT to the folder for results}"
DIR="$OUT/fusion"
mkdir -p "$DIR"
export PYTHONUNBUFFERED=1
export KC_FUSION_T0="$(date +%s)"
export BUDGET_S="${BUDGET_S:-480}"
export TRITON_CACHE_DIR="${TRITON_CACHE_DIR:-/tmp/kc-fusion-triton-cache}"
LOG="$DIR/fusion.log"
SMI="$DIR/nvidia-smi.txt"
Q="name,driver_version,pstate,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,power.limit,memory.used"

{
  echo "== before ($(date -u +%FT%TZ))"
  nvidia-smi
  nvidia-smi --query-gpu="$Q" --format=csv
} > "$SMI" 2>&1

{
  echo "== environment ($(date -u +%FT%TZ))"
  python3 -c 'import sys, os, torch, triton; print("python", sys.version.split()[0], "| torch", torch.__version__, "| triton", triton.__version__, "| cuda", torch.version.cuda, "| cpus", os.cpu_count())'
  uname -r
  echo "budget ${BUDGET_S} s; TRITON_CACHE_DIR=$TRITON_CACHE_DIR; args: $*"
} 2>&1 | tee "$LOG"

timeout -k 10 "${KC_FUSION_TIMEOUT_S:-570}" \
  python3 calibration/harness/fusion_h200.py all --out "$DIR" --budget-s "$BUDGET_S" "$@" 2>&1 | tee -a "$LOG"
RC=${PIPESTATUS[0]}

{
  echo
  echo "== after ($(date -u +%FT%TZ))"
  nvidia-smi --query-gpu="$Q" --format=csv
} >> "$SMI" 2>&1

rm -f "$DIR"/*.tmp
TRACE="$DIR/eager_block_trace.json"
if [[ -f "$TRACE" ]] && [[ "$(stat -c %s "$TRACE")" -gt 5000000 ]]; then
  gzip -9 -f "$TRACE" && echo "eager_block_trace.json gzipped ($(stat -c %s "$TRACE.gz") bytes)" | tee -a "$LOG"
fi
ls -la "$DIR" | tee -a "$LOG"
echo "== done (fusion_h200.py exited $RC) after $(( $(date +%s) - KC_FUSION_T0 )) s" | tee -a "$LOG"
exit "$RC"
