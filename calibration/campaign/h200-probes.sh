#!/usr/bin/env bash
# The H200 microbenchmarks the calibrated H200 still lacks, in one device call (issue 12/13; role calibration, no
# candidate kernel timed): the sustained matrix rate (probe_sustained.py), the block dispatch interval
# (probe_dispatch.py) and the CUDA launch figure with the harness's other rates (tensor_rates.py). Run from the
# repository root on the GPU host; refuses any other card (exit 3). Results land in $OUT/{sustained,dispatch,rates}/;
# import afterwards, here (docs/calibration.md):
#   kernelcast calibrate import sustained/sustained-hot-import.json --base <calibrated H200 yaml> --store /tmp/x.sqlite
set -uo pipefail
: "${OUT:?set OUT to the folder for results}"
source calibration/campaign/require-card.sh H200
mkdir -p "$OUT/sustained" "$OUT/dispatch" "$OUT/rates"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
cd calibration/harness
echo "== probe_sustained.py ($(date -u +%FT%TZ))"
timeout 240 python3 probe_sustained.py --out "$OUT/sustained/probe_sustained-hot.json" \
  --import-out "$OUT/sustained/sustained-hot-import.json" --machine h200-sxm 2>&1 | tee "$OUT/sustained/sustained-hot.log" | tail -8
echo "== probe_dispatch.py ($(date -u +%FT%TZ))"
timeout 150 python3 probe_dispatch.py --out "$OUT/dispatch/probe_dispatch.json" \
  --import-out "$OUT/dispatch/dispatch-import.json" --machine h200-sxm 2>&1 | tee "$OUT/dispatch/dispatch.log" | tail -8
echo "== tensor_rates.py ($(date -u +%FT%TZ))"
timeout 150 python3 tensor_rates.py --machine h200-sxm --out "$OUT/rates/tensor_rates.json" \
  2>&1 | tee "$OUT/rates/tensor_rates.log" | tail -8
nvidia-smi >> "$OUT/nvidia-smi.txt" 2>&1
echo "== done ($(date -u +%FT%TZ))"
