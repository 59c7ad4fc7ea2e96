#!/usr/bin/env bash
# `ivvy-import validate` against `xsv fmt` on the same CSV: the ratio of their median wall
# times, and ivvy-import's peak memory. `bash benches/vs_xsv.sh [rows] [runs]`.
#
# The file is the shape people send: every description quoted (commas, doubled quotes), some
# names too, 2% of the rows invalid (examples/gen_data.rs `sources-csv-quoted`). Both tools
# write their output to a file. xsv is installed with cargo into $XSV_ROOT (default
# target/xsv) when it is not on PATH. Needs GNU time (/usr/bin/time) for peak memory. Data
# goes to $BENCH_DIR (default /tmp/ivvy-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-5}
dir=${BENCH_DIR:-/tmp/ivvy-bench}
mkdir -p "$dir"

xsv=$(command -v xsv || true)
if [ -z "$xsv" ]; then
  root=${XSV_ROOT:-target/xsv}
  if [ ! -x "$root/bin/xsv" ]; then
    echo "installing xsv into $root (once)" >&2
    cargo install --quiet --locked --root "$root" xsv
  fi
  xsv=$root/bin/xsv
fi

cargo build --release --quiet --bin ivvy-import --example gen_data
bin=target/release/ivvy-import
f="$dir/quoted-$rows.csv"
[ -f "$f" ] || target/release/examples/gen_data sources-csv-quoted "$rows" "$f"

ours=("$bin" validate "$f" -q -o "$dir/validate-out.csv")
theirs=("$xsv" fmt "$f" -o "$dir/xsv-out.csv")

# One run: wall seconds (nanosecond clock) and peak RSS in KiB.
run() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -o "$dir/time.txt" -f '%M' "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  # GNU time puts "Command exited with non-zero status" before the figure: take the last line.
  echo "$(((end - start) / 1000))" "$(tail -n 1 "$dir/time.txt")"
}

: >"$dir/ours.txt"
: >"$dir/theirs.txt"
sync # earlier runs' writes go to disk now, not during the runs measured
run "${ours[@]}" >/dev/null # warm the page cache
run "${theirs[@]}" >/dev/null
for _ in $(seq "$runs"); do # in turn, so a drift in the machine's speed hits both
  run "${ours[@]}" >>"$dir/ours.txt"
  run "${theirs[@]}" >>"$dir/theirs.txt"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours_us=$(cut -d' ' -f1 "$dir/ours.txt" | median)
theirs_us=$(cut -d' ' -f1 "$dir/theirs.txt" | median)
peak_kib=$(cut -d' ' -f2 "$dir/ours.txt" | sort -n | tail -1)

echo "file: $(basename "$f"), $rows rows, $(du -m "$f" | cut -f1) MB; median of $runs runs each"
awk -v o="$ours_us" -v t="$theirs_us" -v p="$peak_kib" 'BEGIN {
  printf "ivvy-import validate  %6.3f s   peak %5.1f MiB\n", o / 1e6, p / 1024
  printf "xsv fmt               %6.3f s\n", t / 1e6
  printf "ratio (validate / xsv fmt, wall): %.2f\n", o / t
}'
