#!/usr/bin/env bash
# KernelCast's measurements on the H100, batched for a short device lease. Run from the repository root on the GPU
# host with a static build carried in .dist/ (kernelcast.xz); everything it writes lands in $OUT.
#
#   bash calibration/campaign/h100.sh device   # detect, calibrate through NVIDIA's OpenCL, verify library + cheaters
#   bash calibration/campaign/h100.sh loop     # the plan -> verify -> refine loop on the hold-out Triton GEMM shapes
set -uo pipefail
OUT="${OUT:?set OUT to the folder for results}"
source calibration/campaign/nvidia-opencl.sh
work=/tmp/kernelcast-campaign
mkdir -p "$work/results"

case "${1:-device}" in
device)
  echo "== nvidia-smi"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv
  echo "== machines detect"
  "$KC" machines detect --output "$work/detected.yaml" 2>&1 | tail -20
  echo "== calibrate (NVIDIA OpenCL)"
  start=$(date +%s%N)
  "$KC" calibrate --device NVIDIA --machine h100-sxm --store "$work/kernelcast.sqlite" \
    --output-dir "$work/results" --progress 2>&1 | tee "$work/calibrate-h100.log"
  echo "calibrate took $(( ($(date +%s%N) - start) / 1000000 )) ms"
  echo "== verify the OpenCL library and the cheater suite on the H100"
  "$KC" verify plans/verify/h100-opencl.txt --machine h100-sxm --device NVIDIA \
    --store "$work/kernelcast.sqlite" 2>&1 | tee "$work/verify-h100.log" | tail -45
  "$KC" measurements export --store "$work/kernelcast.sqlite" --format json > "$work/verifications.json" 2>&1
  ;;
loop)
  OUT="$work/loop" KERNELCAST="$KC" bash calibration/harness/loop_h100.sh 2>&1 | tee "$work/loop.log" | tail -40
  ;;
esac
tar -czf "$OUT/campaign-${1:-device}.tar.gz" -C "$work" .
