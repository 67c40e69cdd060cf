#!/usr/bin/env bash
# The loop on a real H100: for each hold-out GEMM shape of the committed measurements, `kernelcast loop` with a
# budget of 5 hardware runs, the Triton candidates run by run_candidate.py (the harness's kernel, verified and timed
# as the verifier's plan says), then a summary against the exhaustive best the harness measured for that shape.
#
#   OUT=/some/dir bash calibration/harness/loop_h100.sh            # needs .dist/kernelcast (a static build)
#   OUT=/some/dir BUDGET=5 bash calibration/harness/loop_h100.sh gemm-fp16-512x512x512   # one space
#
# Writes into $OUT: loop-<space>.json (kernelcast loop --output), loop-<space>.log, loop.sqlite (every
# verification), report.html (kernelcast report with the loops' regret curves) and summary.txt.
# About 40 s per candidate on the H100 of 2026-11-25 (a fresh Python process each, Triton's cache warm after the
# first): 3-4 min per shape.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="${OUT:-$HERE/out}"
BUDGET="${BUDGET:-5}"
BIN="${KERNELCAST:-$ROOT/.dist/kernelcast}"
MEASURED="$ROOT/calibration/measurements/h100-sxm/triton-spaces.json"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
cd "$ROOT"

if [[ ! -x "$BIN" ]]; then
  echo "loop_h100.sh: no kernelcast at $BIN (build one statically into .dist/, or set KERNELCAST=...)" >&2
  exit 2
fi

SPACES=("$@")
if [[ ${#SPACES[@]} -eq 0 ]]; then
  SPACES=(gemm-fp16-2048x2048x2048 gemm-fp16-32x4096x4096 gemm-fp16-8192x512x2048 gemm-fp16-512x512x512 gemm-bf16-3072x3072x3072)
fi

echo "== environment"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv 2>&1 | head -3
python3 -c 'import sys, torch, triton; print("python", sys.version.split()[0], "| torch", torch.__version__, "| triton", triton.__version__, "| cuda", torch.version.cuda)'
echo "== runner check"
echo '{"kind": "describe"}' | python3 "$HERE/run_candidate.py" || { echo "run_candidate.py cannot describe the device" >&2; exit 3; }

STATUS=0
for space in "${SPACES[@]}"; do
  echo "== loop $space (budget $BUDGET)"
  "$BIN" loop "plans/h100/$space.yaml" --machine h100-sxm --machines-dir "$ROOT/machines" --budget "$BUDGET" \
    --runner-command "python3 $HERE/run_candidate.py" --runner-timeout 600 \
    --measured "$MEASURED" --store "$OUT/loop.sqlite" --output "$OUT/loop-$space.json" 2>&1 | tee "$OUT/loop-$space.log"
  rc=${PIPESTATUS[0]}
  [[ $rc -ne 0 ]] && { echo "loop $space exited with $rc" >&2; STATUS=1; }
done

echo "== summary"
python3 - "$OUT" "${SPACES[@]}" <<'PY' | tee "$OUT/summary.txt"
import json, os, sys
out, spaces = sys.argv[1], sys.argv[2:]
rows, reached = [], 0
for space in spaces:
    path = os.path.join(out, f"loop-{space}.json")
    if not os.path.exists(path):
        rows.append((space, "-", "-", "no result")); continue
    loop = json.load(open(path))
    best = loop.get("exhaustive_best_s")
    regrets = [s.get("regret") for s in loop["steps"]]
    final = regrets[-1] if regrets else None
    if final is not None and final <= 0.02: reached += 1
    curve = " ".join("-" if r is None else f"{100*r:.1f}%" for r in regrets)
    rows.append((space, f"{best:.4e}" if best else "-", curve, f"final {'-' if final is None else f'{100*final:.2f}%'} after {loop['runs']} run(s); {loop['stop']}"))
print(f"{'SPACE':28} {'EXHAUSTIVE BEST (s)':20} REGRET AFTER EACH RUN")
for r in rows: print(f"{r[0]:28} {r[1]:20} {r[2]}   {r[3]}")
print(f"{reached} of {len(spaces)} spaces within 2% of the exhaustive best (hardware runs on the H100, budget as given)")
PY

"$BIN" report --machine h100-sxm --machines-dir "$ROOT/machines" $(for s in "${SPACES[@]}"; do [[ -f "$OUT/loop-$s.json" ]] && echo --loop "$OUT/loop-$s.json"; done) \
  --output "$OUT/report.html" || STATUS=1
exit $STATUS
