#!/usr/bin/env bash
# Recalibrates the H200 in one device call (issue 13; every figure is a microbenchmark, role fit): the OpenCL suite
# through NVIDIA's OpenCL, then the PyTorch/Triton harness (tensor-core peaks, copy bandwidth, the CUDA launch figure),
# then the epilogue per-op microbenchmark (issue 12). Run from the repository root on the GPU host with a static build
# carried in .dist/ (kernelcast.xz). It refuses any other card (exit 3) unless ANY_CARD=1: the point is the H200.
# Everything lands in $OUT/recalibrate.tar.gz (results/ of `calibrate`, tensor_rates.json and .log, epilogue/,
# nvidia-smi.txt); import afterwards, here:
#   kernelcast calibrate import tensor_rates.json --base results/cal-h200-sxm-<id>.yaml --store /tmp/x.sqlite
set -uo pipefail
: "${OUT:?set OUT to the folder for results}"
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
if [[ "$card" != *H200* && "${ANY_CARD:-0}" != "1" ]]; then
  echo "this card is '$card', not an H200: nothing run (ANY_CARD=1 runs anyway)"
  exit 3
fi
DIR=$(mktemp -d)/recalibrate
mkdir -p "$DIR"
source calibration/campaign/nvidia-opencl.sh
nvidia-smi > "$DIR/nvidia-smi.txt" 2>&1
echo "== kernelcast calibrate ($(date -u +%FT%TZ))"
"$KC" calibrate --device NVIDIA --machine h200-sxm --store /tmp/kernelcast-cal.sqlite --output-dir "$DIR/results" \
  2>&1 | tee "$DIR/calibrate.log"
echo "== tensor_rates.py ($(date -u +%FT%TZ))"
timeout 150 python3 calibration/harness/tensor_rates.py --machine h200-sxm --out "$DIR/tensor_rates.json" \
  2>&1 | tee "$DIR/tensor_rates.log" | tail -15
echo "== epilogue-ops.sh ($(date -u +%FT%TZ))"
OUT="$DIR" BUDGET_S="${BUDGET_S:-280}" KC_EPI_TIMEOUT_S=330 bash calibration/campaign/epilogue-ops.sh | tail -5
nvidia-smi >> "$DIR/nvidia-smi.txt" 2>&1
tar czf "$OUT/recalibrate.tar.gz" -C "$(dirname "$DIR")" recalibrate
echo "== done ($(date -u +%FT%TZ))"
