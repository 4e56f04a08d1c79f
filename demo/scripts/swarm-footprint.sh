#!/usr/bin/env bash
# Footprint of N swarms (default 100): starts the built demo, creates them at once, sums the leaders'
# RSS and PSS (PSS splits the shared Node binary fairly), samples idle CPU for 10 s, stops the demo.
# Usage: demo/scripts/swarm-footprint.sh [N]   (run from the repository root after building demo/)
set -euo pipefail
N=${1:-100}
OUT=$(mktemp)
node demo/dist/server.js --port 0 >"$OUT" 2>/dev/null &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do grep -q listening "$OUT" && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$OUT")
start=$(date +%s%N)
codes=$(seq "$N" | xargs -P "$N" -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST "$URL/swarms" | sort | uniq -c | xargs)
echo "created $N swarms in $(( ($(date +%s%N) - start) / 1000000 )) ms (HTTP: $codes)"
sleep 2
PIDS=$(pgrep -P "$SERVER")
echo "leader processes: $(echo "$PIDS" | wc -w); $(curl -s "$URL/dashboard/snapshot" | grep -o '"swarms":{[^}]*}')"
for p in $PIDS; do cat "/proc/$p/smaps_rollup"; done |
  awk '/^Rss:/{r+=$2} /^Pss:/{p+=$2} END {printf "leaders: RSS sum %.0f MiB, PSS sum %.0f MiB\n", r/1024, p/1024}'
awk '/^VmRSS/{printf "server: RSS %.0f MiB\n", $2/1024}' "/proc/$SERVER/status"
cpu() { for p in "$@"; do awk '{print $14+$15}' "/proc/$p/stat"; done | awk '{s+=$1} END {print s}'; }
c0=$(cpu $PIDS "$SERVER"); sleep 10; c1=$(cpu $PIDS "$SERVER")
echo "idle CPU of server + leaders over 10 s: $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) ms"
