#!/usr/bin/env bash
# `ivvy-import validate` of a 1M-row XLSX against python-calamine reading the same sheet into
# Python lists: the ratio of their median wall times, and ivvy-import's peak memory.
# `bash benches/vs_calamine.sh [rows] [runs]`. python-calamine is installed with pip (into the
# user's site) when it is missing. Needs GNU time (/usr/bin/time). Data goes to $BENCH_DIR
# (default /tmp/ivvy-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-5}
dir=${BENCH_DIR:-/tmp/ivvy-bench}
mkdir -p "$dir"

python3 -c 'import python_calamine' 2>/dev/null || python3 -m pip install --quiet python-calamine

cargo build --release --quiet --bin ivvy-import --example gen_data
bin=target/release/ivvy-import
f="$dir/shared-$rows.xlsx"
[ -f "$f" ] || target/release/examples/gen_data sources-xlsx-shared "$rows" "$f"

ours=("$bin" validate "$f" -q -o "$dir/validate-xlsx-out.csv")
theirs=(python3 -c 'import sys
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
print(len(rows))' "$f")

run() { # wall microseconds and peak RSS in KiB
  local start end
  start=$(date +%s%N)
  /usr/bin/time -o "$dir/time.txt" -f '%M' "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo "$(((end - start) / 1000))" "$(tail -n 1 "$dir/time.txt")"
}

: >"$dir/ours.txt"
: >"$dir/theirs.txt"
sync
run "${ours[@]}" >/dev/null
run "${theirs[@]}" >/dev/null
for _ in $(seq "$runs"); do
  run "${ours[@]}" >>"$dir/ours.txt"
  run "${theirs[@]}" >>"$dir/theirs.txt"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours_us=$(cut -d' ' -f1 "$dir/ours.txt" | median)
theirs_us=$(cut -d' ' -f1 "$dir/theirs.txt" | median)
peak_kib=$(cut -d' ' -f2 "$dir/ours.txt" | sort -n | tail -1)
theirs_kib=$(cut -d' ' -f2 "$dir/theirs.txt" | sort -n | tail -1)

echo "file: $(basename "$f"), $rows rows, $(du -mL "$f" | cut -f1) MB; median of $runs runs each"
awk -v o="$ours_us" -v t="$theirs_us" -v p="$peak_kib" -v q="$theirs_kib" 'BEGIN {
  printf "ivvy-import validate      %6.3f s   peak %6.1f MiB\n", o / 1e6, p / 1024
  printf "python-calamine to_python %6.3f s   peak %6.1f MiB\n", t / 1e6, q / 1024
  printf "ratio (validate / python-calamine, wall): %.2f\n", o / t
}'
