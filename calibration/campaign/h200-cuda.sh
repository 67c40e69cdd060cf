#!/usr/bin/env bash
# The verifier's CUDA runner on the H200 (or the H100 the device tool lends): the CUDA and PTX cheater suite with its
# honest twins in process, the kernels that crash or hang isolated, and the CUDA/PTX demonstration candidates with
# their compiler facts. Run from the repository root on the GPU host with a static build carried in .dist/
# (kernelcast.xz); everything lands in $OUT/cuda:
#   verify.log          cheaters-cuda.txt, then cuda.txt (every verdict with its reason; compiler facts per launch)
#   isolated.log        crashes.yaml and hangs.yaml (CUDA), each in a child process with a 30 s deadline
#   verifications.json  every stored verification (kernelcast measurements export)
#   nvidia-smi.txt      the card before and after
set -uo pipefail
DIR="${OUT:?set OUT to the folder for results}/cuda"
mkdir -p "$DIR"
source calibration/campaign/nvidia-opencl.sh
MACHINE=$(nvidia-smi --query-gpu=name --format=csv,noheader | grep -q H200 && echo h200-sxm || echo h100-sxm)
# NVRTC ships with the CUDA toolkit on the host and in NVIDIA's nvidia-cuda-nvrtc wheel (PyTorch's dependency).
sites=$(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null)
export KERNELCAST_NVRTC="${KERNELCAST_NVRTC:-$(find /usr/local/cuda/lib64 /usr/local/cuda/targets $sites -name 'libnvrtc.so*' \
  2>/dev/null | grep -v -e builtins -e '\.alt\.' | sort | head -1)}"
store=/tmp/kernelcast-cuda.sqlite
rm -f "$store"
nvidia-smi > "$DIR/nvidia-smi.txt" 2>&1
{ "$KC" --version; echo "KERNELCAST_NVRTC=${KERNELCAST_NVRTC:-(search path)}"; } | tee "$DIR/verify.log"
for list in plans/verify/cheaters-cuda.txt plans/verify/cuda.txt; do
  echo "== kernelcast verify $list --machine $MACHINE --device cuda:0" | tee -a "$DIR/verify.log"
  timeout 240 "$KC" verify "$list" --machine "$MACHINE" --device cuda:0 --store "$store" 2>&1 | tee -a "$DIR/verify.log" | tail -3
done
: > "$DIR/isolated.log"
for file in crashes hangs honest_row_sum; do
  echo "== kernelcast verify cuda/$file.yaml --isolate --runner-timeout 30" | tee -a "$DIR/isolated.log"
  timeout 60 "$KC" verify "Tests/VerifierTests/Cheaters/cuda/$file.yaml" --machine "$MACHINE" --device cuda:0 --isolate \
    --runner-timeout 30 --store "$store" --force 2>&1 | tee -a "$DIR/isolated.log" | tail -2
done
"$KC" measurements export --store "$store" --format json > "$DIR/verifications.json" 2>&1
nvidia-smi >> "$DIR/nvidia-smi.txt" 2>&1
echo "== done"
