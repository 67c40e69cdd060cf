#!/usr/bin/env bash
# Imports what h200-probes.sh measured onto a calibrated H200, here (no GPU needed), in the order the H100's chain took
# (docs/calibration.md): the harness's rates and launch figure (its fp32 figure is SGEMM's, so the suite's FMA peak
# stays), then the sustained matrix rate, then the block dispatch interval. Prints the last file written.
#   calibration/campaign/h200-probes-import.sh PROBES_DIR BASE_YAML [KERNELCAST]
set -euo pipefail
probes=${1:?the folder h200-probes.sh wrote (rates/, sustained/, dispatch/)}
base=${2:?the calibrated H200 file to start from}
kernelcast=${3:-.build/debug/kernelcast}
store=$(mktemp -d)/import.sqlite

step() {
  local file=$1; shift
  local report run
  report=$("$kernelcast" calibrate import "$file" --base "$base" --store "$store" --format json "$@")
  run=$(python3 -c 'import json, sys
r = json.load(sys.stdin)
if r["status"] != "ok": sys.exit("error: %s: run %s %s: %s" % (sys.argv[1], r["run"], r["status"], r["failure_reason"]))
print(r["run"])' "$file" <<< "$report")
  base=calibration/results/h200-sxm/$run.yaml
  echo "$file -> $base" >&2
}

step "$probes/rates/tensor_rates.json" --skip compute.peak.vector.fp32
step "$probes/sustained/sustained-hot-import.json"
step "$probes/dispatch/dispatch-import.json"
echo "$base"
