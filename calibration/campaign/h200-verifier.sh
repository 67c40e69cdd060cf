#!/usr/bin/env bash
# The verifier on the H200 (or the H100 the device tool lends) through NVIDIA's OpenCL: the OpenCL library, the cheater suite with its honest twins, and
# the kernels that crash or hang, isolated. Run from the repository root on the GPU host with a static build carried
# in .dist/ (kernelcast.xz); everything lands in $OUT/verifier:
#   verify.log          the cheater suite, then the library (LISTS overrides), in process (every verdict with its reason)
#   isolated.log        crashes.yaml and hangs.yaml, each in a child process with a 30 s deadline
#   verifications.json  every stored verification (kernelcast measurements export)
#   nvidia-smi.txt      the card before and after
set -uo pipefail
DIR="${OUT:?set OUT to the folder for results}/verifier"
mkdir -p "$DIR"
source calibration/campaign/nvidia-opencl.sh
# The device tool may lend an H100 for an H200: the machine model follows the card.
MACHINE=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200-sxm || echo h100-sxm)
store=/tmp/kernelcast-verifier.sqlite
rm -f "$store"
nvidia-smi > "$DIR/nvidia-smi.txt" 2>&1
"$KC" --version | tee "$DIR/verify.log"
for list in ${LISTS:-plans/verify/cheaters.txt plans/verify/h100-opencl.txt}; do
  echo "== kernelcast verify $list --machine $MACHINE --device NVIDIA" | tee -a "$DIR/verify.log"
  timeout 200 "$KC" verify "$list" --machine "$MACHINE" --device NVIDIA --store "$store" 2>&1 | tee -a "$DIR/verify.log" | tail -3
done
: > "$DIR/isolated.log"
for file in crashes hangs honest_naive_sgemm; do
  echo "== kernelcast verify $file.yaml --isolate --runner-timeout 30" | tee -a "$DIR/isolated.log"
  timeout 45 "$KC" verify "Tests/VerifierTests/Cheaters/$file.yaml" --machine "$MACHINE" --device NVIDIA --isolate \
    --runner-timeout 30 --store "$store" --force 2>&1 | tee -a "$DIR/isolated.log" | tail -2
done
"$KC" measurements export --store "$store" --format json > "$DIR/verifications.json" 2>&1
nvidia-smi >> "$DIR/nvidia-smi.txt" 2>&1
echo "== done"
