#!/usr/bin/env bash
# Why torch's Welford layer norm runs at about 60% of the issue rate (issue 12; role tune, H100 only): Nsight
# Compute's full set (pipe utilisation, instruction mix by opcode, warp stall reasons) for torch's layer norm, rms
# norm and add and the fusion campaign's Triton add + norm, at the boost clock the timed runs see. Run from the
# repository root on the GPU host; refuses any card but an H100 (exit 3): these counters may choose a model term, so
# they must come from the machine the model is fitted on. Results land in $OUT/norm-pipes/ (raw and details pages
# as CSV; the report itself when small enough to carry; durations and SM clock at the base and the boost clock).
set -uo pipefail
: "${OUT:?set OUT to the folder for results}"
source calibration/campaign/require-card.sh H100
DIR="$OUT/norm-pipes"
mkdir -p "$DIR"
nvidia-smi > "$DIR/nvidia-smi.txt" 2>&1
echo "== ncu --set full ($(date -u +%FT%TZ))"
timeout 420 ncu --set full --clock-control none -k 'regex:layer_norm|vectorized_elementwise|add_norm' \
  -o "$DIR/norm_pipes" python3 calibration/harness/norm_counters.py --triton > "$DIR/ncu.log" 2>&1
echo "ncu rc=$?"; tail -3 "$DIR/ncu.log"
ncu --import "$DIR/norm_pipes.ncu-rep" --csv --page raw > "$DIR/norm_pipes_raw.csv" 2>> "$DIR/ncu.log"
ncu --import "$DIR/norm_pipes.ncu-rep" --csv --page details --print-metric-instances values \
  > "$DIR/norm_pipes_details.csv" 2>> "$DIR/ncu.log"
# The same kernels timed at the base clock and at the clock they boost to, on this card: how much of an issue-bound
# term shows in the time (the share that does not hide behind the memory side).
for clock in base none; do
  echo "== ncu --clock-control $clock ($(date -u +%FT%TZ))"
  timeout 120 ncu --clock-control $clock -k 'regex:layer_norm|vectorized_elementwise|add_norm' --csv \
    --metrics gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second,dram__bytes.sum,sm__inst_executed.sum \
    python3 calibration/harness/norm_counters.py --triton > "$DIR/norm_clock_$clock.csv" 2>> "$DIR/ncu.log"
done
ls -la "$DIR"
if [[ $(stat -c %s "$DIR/norm_pipes.ncu-rep" 2>/dev/null || echo 0) -gt 40000000 ]]; then rm -f "$DIR/norm_pipes.ncu-rep"; fi
echo "== done ($(date -u +%FT%TZ))"
