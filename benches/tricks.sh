#!/usr/bin/env bash
# What each speed trick of the dry run buys: one release binary per trick switched off (built
# in a temporary worktree of HEAD, the trick's one line changed), then the quoted-CSV dry run
# of every binary, interleaved, `runs` times. `bash benches/tricks.sh [rows] [runs]`.
#
# The tricks: written rows handed back to the reader's thread to be dropped
# (`source/recycle.rs`), a dry run's batch decided where it lies (`Done::InPlace`), an earlier
# results file replaced rather than truncated (`results/replace.rs`), plain CSV records cut
# without csv_core (`input/csv/plain.rs`). Each binary writes over its own earlier results, as
# `vs_xsv.sh` does (no `--overwrite`: the check of the earlier file runs). Needs GNU time.
# Data goes to $BENCH_DIR (default /tmp/ivvy-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-9}
dir=${BENCH_DIR:-/tmp/ivvy-bench}
mkdir -p "$dir/tricks"
cargo build --release --quiet --bin ivvy-import --example gen_data
f="$dir/quoted-$rows.csv"
[ -f "$f" ] || target/release/examples/gen_data sources-csv-quoted "$rows" "$f"

tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --quiet --detach "$tree" HEAD
mkdir -p "$tree/target" && cp -a target/release "$tree/target/" 2>/dev/null || true

# Each trick switched off by changing its line(s): name, then file|text|replacement triples.
tricks=(
  "no-recycler src/results/collector.rs|self.recycler.give(items);|drop(items); src/results/collector.rs|self.recycler.give(batch);|drop(batch);"
  "no-in-place src/run/file.rs|Some(b) if self.live.is_none() => {|Some(b) if self.live.is_none() && false => {"
  "no-replace src/results/replace.rs|if let Some(done) = replace(path) {|if let Some(done) = replace(path).filter(|_| false) {"
  "no-plain src/input/csv/records.rs|            plain: true,|            plain: false,"
)
build() {
  (cd "$tree" && cargo build --release --quiet --bin ivvy-import)
  cp "$tree/target/release/ivvy-import" "$dir/tricks/$1"
  git -C "$tree" checkout --quiet -- .
}
build all-on
names=(all-on)
for t in "${tricks[@]}"; do
  name=${t%% *}
  rest=${t#* }
  # Triples are separated by " src/" (every file is under src/).
  while [ -n "$rest" ]; do
    triple=${rest%% src/*}
    rest=${rest#"$triple"}
    rest=${rest# }
    IFS='|' read -r file from to <<<"$triple"
    grep -qF "$from" "$tree/$file" || { echo "$name: '$from' not found in $file" >&2; exit 1; }
    FROM=$from TO=$to perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$tree/$file"
  done
  build "$name"
  names+=("$name")
done

for n in "${names[@]}"; do : >"$dir/tricks/$n.txt"; done
for n in "${names[@]}"; do "$dir/tricks/$n" validate "$f" -q -o "$dir/tricks/out-$n.csv" --overwrite >/dev/null 2>&1 || true; done
sync
for _ in $(seq "$runs"); do
  for n in "${names[@]}"; do
    start=$(date +%s%N)
    /usr/bin/time -o "$dir/tricks/time.txt" -f '%U %S %M' "$dir/tricks/$n" validate "$f" -q \
      -o "$dir/tricks/out-$n.csv" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    echo "$(((end - start) / 1000000)) $(tail -n 1 "$dir/tricks/time.txt")" >>"$dir/tricks/$n.txt"
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
base=$(cut -d' ' -f1 "$dir/tricks/all-on.txt" | median)
echo "quoted-$rows.csv dry run, median of $runs interleaved runs each"
for n in "${names[@]}"; do
  wall=$(cut -d' ' -f1 "$dir/tricks/$n.txt" | median)
  cpu=$(awk '{ print $2 + $3 }' "$dir/tricks/$n.txt" | median)
  peak=$(cut -d' ' -f4 "$dir/tricks/$n.txt" | sort -n | tail -1)
  printf '%-16s wall %5d ms  cpu %5.2f s  peak %6.1f MiB  wall vs all-on %s\n' "$n" "$wall" "$cpu" \
    "$(echo "$peak / 1024" | bc -l)" "$(echo "scale=3; $wall / $base" | bc)"
done
