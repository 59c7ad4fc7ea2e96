#!/usr/bin/env bash
# Reproduces the README's figures for live runs against the emulator on loopback:
#   bash benches/live.sh
# 1. bulk mode vs single calls at --rate 5 with 100 ms latency and a 0.5 s batch delay;
# 2. the importer's own CPU per row (the emulator runs as a separate process);
# 3. a plan of 100,000 rows against an account of 100,000 records (listing time, memory).
# Needs GNU time (/usr/bin/time). Data goes to $BENCH_DIR (default /tmp/ivvy-bench-live).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/ivvy-bench-live}
rm -rf "$dir" && mkdir -p "$dir"
cargo build --release --quiet --bin ivvy-import
bin=$PWD/target/release/ivvy-import
export IVVY_API_KEY=bench IVVY_API_SECRET=bench-secret IVVY_IMPORT_PROGRESS=plain

emulator() { # faults → prints the base URL; the emulator runs until the script ends
  "$bin" sandbox --key bench --secret bench-secret --faults "$1" >"$dir/sb.$$.$RANDOM" 2>/dev/null &
  pids+=($!)
  local out
  for _ in $(seq 50); do
    out=$(ls -t "$dir"/sb.* | head -1)
    if grep -q listening "$out" 2>/dev/null; then break; fi
    sleep 0.1
  done
  head -1 "$out" | awk '{print $3}'
}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

sources() { # n file
  python3 - "$1" "$2" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("name,description,cost,isReferral\n")
    for i in range(1, n + 1):
        f.write(f"Preloaded source {i:06},Imported row {i},{i % 500}.5,{'yes' if i % 3 == 0 else 'no'}\n")
EOF
}

timed() { # label rows command...: wall, rows/s, CPU, peak memory of the importer alone
  local label=$1 n=$2; shift 2
  /usr/bin/time -o "$dir/time.txt" -f '%e %M %U %S' "$@" >/dev/null 2>"$dir/err.txt" || true
  read -r wall rss user sys <"$dir/time.txt"
  awk -v l="$label" -v n="$n" -v w="$wall" -v r="$rss" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%-58s %7d rows %7.2f s %9.1f rows/s  cpu %6.1f µs/row  peak %6.1f MiB\n", l, n, w, n / (w > 0 ? w : 0.01), (u + s) * 1e6 / n, r / 1024 }'
}

echo "== bulk mode vs single calls: --rate 5, 100 ms latency, 0.5 s batch delay"
url=$(emulator "latency-ms=100,batch-delay-ms=500")
sources 20000 "$dir/bulk.csv"
timed "import --bulk (200 rows a batch)" 20000 "$bin" import "$dir/bulk.csv" --base-url "$url" --rate 5 --bulk -q -o "$dir/bulk.results.csv"
url=$(emulator "latency-ms=100,batch-delay-ms=500")
sources 100 "$dir/single.csv"
timed "import, single calls" 100 "$bin" import "$dir/single.csv" --base-url "$url" --rate 5 -q -o "$dir/single.results.csv"

echo "== the importer's CPU per row, unlimited rate, emulator in its own process"
url=$(emulator "")
sources 5000 "$dir/cpu.csv"
timed "import, single calls, --concurrency 16" 5000 "$bin" import "$dir/cpu.csv" --base-url "$url" --rate 10000 --concurrency 16 -q -o "$dir/cpu1.results.csv"
url=$(emulator "")
timed "import --bulk, --concurrency 16" 5000 "$bin" import "$dir/cpu.csv" --base-url "$url" --rate 10000 --concurrency 16 --bulk -q -o "$dir/cpu2.results.csv"

echo "== plan of 100,000 rows against 100,000 records"
url=$(emulator "preload-sources=100000")
sources 100000 "$dir/plan.csv"
timed "plan --match-by-name --rate 50 --concurrency 8" 100000 "$bin" plan "$dir/plan.csv" --base-url "$url" --match-by-name --rate 50 --concurrency 8 -q -o "$dir/plan.results.csv"
timed "plan --match-by-name (unlimited rate)" 100000 "$bin" plan "$dir/plan.csv" --base-url "$url" --match-by-name --rate 10000 --concurrency 8 -q -o "$dir/plan2.results.csv"
cut -d, -f4 "$dir/plan.results.csv" | sort | uniq -c | sort -rn | head -5
