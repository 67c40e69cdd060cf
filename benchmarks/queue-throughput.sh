#!/usr/bin/env bash
# The verification queue's throughput: no-op jobs claimed and completed per second, on an SQLite file and on a
# PostgreSQL server started here on loopback (the distribution's packages; scripts/install-deps installs them).
# Usage: benchmarks/queue-throughput.sh [JOBS [PASSES]]   (KERNELCAST: the binary, default .build/debug/kernelcast)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-2000}"
passes="${2:-3}"
kernelcast="${KERNELCAST:-.build/debug/kernelcast}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
work="$(mktemp -d /tmp/kernelcast-queue-bench.XXXXXX)"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as_owner=(runuser -u postgres --); fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_owner[@]}" "$bin/initdb" -D "$work/data" -U kernelcast --auth=trust -E UTF8 --no-sync >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o "-p $port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
trap '"${as_owner[@]}" "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null; rm -rf "$work"' EXIT
"$bin/createdb" -h 127.0.0.1 -p "$port" -U kernelcast bench

echo "$jobs no-op jobs a pass, $passes passes; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
for pass in $(seq 1 "$passes"); do
  "$kernelcast" store bench-queue --jobs "$jobs" --store "$work/bench.sqlite"
  "$kernelcast" store bench-queue --jobs "$jobs" --store "postgres://kernelcast@127.0.0.1:$port/bench"
done
