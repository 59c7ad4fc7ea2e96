#!/usr/bin/env bash
# Reproduces the README's performance figures: `bash benches/bench.sh [rows]`.
# Needs GNU time (/usr/bin/time) for peak memory. Data goes to $BENCH_DIR (default /tmp/ivvy-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
dir=${BENCH_DIR:-/tmp/ivvy-bench}
mkdir -p "$dir"
cargo build --release --quiet --bin ivvy-import --example gen_data
bin=target/release/ivvy-import
gen=target/release/examples/gen_data

measure() { # label, rows, then the command; the best of three runs: wall, rows/s, peak RSS, CPU
  local label=$1 n=$2; shift 2
  : >"$dir/times.txt"
  for _ in 1 2 3; do
    /usr/bin/time -o "$dir/time.txt" -f '%e %M %U %S %x' "$@" >/dev/null 2>"$dir/stderr.txt" || true
    # Exit 1 is a run with invalid rows; 2 and above is a run that did not happen.
    if [ "$(tail -n 1 "$dir/time.txt" | cut -d' ' -f5)" -ge 2 ]; then
      echo "$label: FAILED: $(tail -n 1 "$dir/stderr.txt")" >&2
      return 1
    fi
    tail -n 1 "$dir/time.txt" >>"$dir/times.txt"
  done
  read -r wall rss user sys _ < <(sort -n "$dir/times.txt" | head -1)
  awk -v l="$label" -v n="$n" -v w="$wall" -v r="$rss" -v u="$user" -v s="$sys" \
    'BEGIN { printf "%-44s %9d rows %6.2f s %10.0f rows/s  peak %6.1f MiB  cpu %5.2f s\n", l, n, w, n / (w > 0 ? w : 0.01), r / 1024, u + s }'
}

echo "== dry run (validate), CSV sources"
for n in $((rows / 10)) "$rows" $((rows * 2)); do
  f="$dir/sources-$n.csv"
  [ -f "$f" ] || "$gen" sources-csv "$n" "$f"
  measure "validate $(basename "$f") ($(du -m "$f" | cut -f1) MB)" "$n" "$bin" validate "$f" -q -o "$dir/out.csv"
done

# Update rows (every row has an id) claim no name: this shows the memory that does not grow.
f="$dir/sources-$rows.csv"
g="$dir/updates-$rows.csv"
[ -f "$g" ] || awk -F, 'NR==1 { print "id," $0; next } { print NR "," $0 }' "$f" >"$g"
measure "validate $(basename "$g") (all updates)" "$rows" "$bin" validate "$g" -q -o "$dir/out.csv"

echo "== dry run (validate), XLSX sources"
f="$dir/sources-$rows.xlsx"
[ -f "$f" ] || "$gen" sources-xlsx "$rows" "$f"
measure "validate $(basename "$f") (inline strings)" "$rows" "$bin" validate "$f" -q -o "$dir/out.csv"
f="$dir/shared-$rows.xlsx"
[ -f "$f" ] || "$gen" sources-xlsx-shared "$rows" "$f"
measure "validate $(basename "$f") (shared strings)" "$rows" "$bin" validate "$f" -q -o "$dir/out.csv"

echo "== import against the built-in emulator (emulator in the same process)"
n=20000
f="$dir/sources-$n.csv"
[ -f "$f" ] || "$gen" sources-csv "$n" "$f"
measure "import, no latency, --rate 10000, concurrency 16" "$n" \
  "$bin" import "$f" --sandbox --rate 10000 --concurrency 16 -q --overwrite -o "$dir/out.csv"
n=1000
f="$dir/sources-$n.csv"
[ -f "$f" ] || "$gen" sources-csv "$n" "$f"
"$bin" import "$f" --sandbox --sandbox-faults latency-ms=100 --rate 50 --concurrency 8 -q --json --overwrite -o "$dir/out.csv" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print("import, 100 ms latency, --rate 50 --concurrency 8: %d rows in %.2f s = %.1f requests/s (one list call included)" % (d["rows"], d["elapsed_secs"], (d["rows"] + 1) / d["elapsed_secs"]))'

echo "== against xsv fmt, the same quoted CSV (benches/vs_xsv.sh)"
bash benches/vs_xsv.sh "$rows"
