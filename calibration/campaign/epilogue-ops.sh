#!/usr/bin/env bash
# Per-op cost in a GEMM-epilogue-like situation on Hopper (H100 or H200) (calibration/harness/epilogue_ops.py), one device
# command of at most ~7.5 minutes. Run from the repository root on the GPU host; everything lands in $OUT/epilogue:
#
#   bash calibration/campaign/epilogue-ops.sh                              # all 4 configs, all ops
#   bash calibration/campaign/epilogue-ops.sh --configs 128x256x8 --ops gelu_erf,silu   # extra args go to `all`
#
# Output ($OUT/epilogue, 4 files):
#   epilogue_ops.json       role fit   per-op one-shot and slope cost on a [BLOCK_M, BLOCK_N] register tile, 1-2 programs/SM
#   fullocc/op_costs.json   role fit   fusion_h200.py's full-occupancy op chains (part ops), rerun first on this same
#                                      card (SAME_CARD_BASELINE=1, the default; 0 skips it): the same-card ratios
#   epilogue_ops.log        the run's log (tee of stdout/stderr)
#   nvidia-smi.txt          nvidia-smi before and after
# BUDGET_S (default 360) is the wall-clock guard, counted from this script's start: no new item starts after it.
# The Python process is killed at KC_EPI_TIMEOUT_S (default 420); results are written after every item.
# The same-card baseline gets at most KC_EPI_BASELINE_TIMEOUT_S (default 120) and a 90 s budget of its own.
set -uo pipefail
OUT="${OUT:?set OUT to the folder for results}"
DIR="$OUT/epilogue"
mkdir -p "$DIR"
export PYTHONUNBUFFERED=1
export KC_EPI_T0="$(date +%s)"
export BUDGET_S="${BUDGET_S:-360}"
export TRITON_CACHE_DIR="${TRITON_CACHE_DIR:-/tmp/kc-epi-triton-cache}"
export KC_EPI_SASS_DIR="${KC_EPI_SASS_DIR:-/tmp/kc-epi-sass}"
LOG="$DIR/epilogue_ops.log"
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

SAME=()
if [[ "${SAME_CARD_BASELINE:-1}" == "1" ]]; then
  echo "== same-card full-occupancy baseline: fusion_h200.py all --parts ops ($(date -u +%FT%TZ))" | tee -a "$LOG"
  KC_FUSION_T0="$(date +%s)" timeout -k 10 "${KC_EPI_BASELINE_TIMEOUT_S:-120}" \
    python3 calibration/harness/fusion_h200.py all --parts ops --out "$DIR/fullocc" --budget-s 90 \
      --precompile-workers 0 2>&1 | tee -a "$LOG"
  [[ -f "$DIR/fullocc/op_costs.json" ]] && SAME=(--same-card-op-costs "$DIR/fullocc/op_costs.json")
  rm -f "$DIR"/fullocc/*.tmp
fi

timeout -k 10 "${KC_EPI_TIMEOUT_S:-420}" \
  python3 calibration/harness/epilogue_ops.py all --out "$DIR" --budget-s "$BUDGET_S" ${SAME[@]+"${SAME[@]}"} "$@" 2>&1 | tee -a "$LOG"
RC=${PIPESTATUS[0]}

{
  echo
  echo "== after ($(date -u +%FT%TZ))"
  nvidia-smi --query-gpu="$Q" --format=csv
} >> "$SMI" 2>&1

rm -f "$DIR"/*.tmp
ls -la "$DIR" "$DIR/fullocc" 2>/dev/null | tee -a "$LOG"
echo "== done (epilogue_ops.py exited $RC) after $(( $(date +%s) - KC_EPI_T0 )) s" | tee -a "$LOG"
exit "$RC"
