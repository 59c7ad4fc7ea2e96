#!/usr/bin/env bash
# Peak memory of `--resume` when an earlier run finished most rows: the rows its check reads
# are kept for the run only up to a bound (then let go, and the file read again), so memory
# does not grow with the rows done. `bash benches/resume.sh [rows]`.
#
# An import of `rows` lead sources whose first row fails (a built-in record the API refuses
# to edit), against the emulator in its own process; the row is fixed, and the run resumed
# twice from the same state: once keeping every row read (IVVY_IMPORT_RESUME_HOLD above the
# row count), once as shipped. Data goes to $BENCH_DIR (default /tmp/ivvy-bench-resume).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-200000}
dir=${BENCH_DIR:-/tmp/ivvy-bench-resume}
rm -rf "$dir" && mkdir -p "$dir/xdg"
cargo build --release --quiet --bin ivvy-import
bin=${IVVY_BIN:-$PWD/target/release/ivvy-import}
export IVVY_API_KEY=bench IVVY_API_SECRET=bench-secret
export XDG_STATE_HOME=$dir/xdg/state XDG_RUNTIME_DIR=$dir/xdg/run XDG_CONFIG_HOME=$dir/xdg/config

"$bin" sandbox --key bench --secret bench-secret >"$dir/sandbox.txt" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  grep -q listening "$dir/sandbox.txt" 2>/dev/null && break
  sleep 0.1
done
url=$(head -1 "$dir/sandbox.txt" | awk '{print $3}')

python3 - "$rows" "$dir/in.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("id,name,cost\n1,Marketplace,5\n")
    for i in range(n):
        f.write(f",Source {i:07},{i % 500}.5\n")
PY
"$bin" import "$dir/in.csv" --base-url "$url" --bulk --rate 10000 -q -o "$dir/r.csv" || true
cp "$dir/r.csv" "$dir/r.saved" && cp "$dir/r.csv.journal" "$dir/j.saved"

resume() { # label hold tag: the failed row fixed under a name of its own, then resumed
  cp "$dir/r.saved" "$dir/r.csv" && cp "$dir/j.saved" "$dir/r.csv.journal"
  sed -i "2s/.*/,Marketplace $3,5/" "$dir/in.csv"
  IVVY_IMPORT_RESUME_HOLD=$2 /usr/bin/time -o "$dir/time.txt" -f '%M %e' \
    "$bin" import "$dir/in.csv" --base-url "$url" --bulk --rate 10000 -q -o "$dir/r.csv" --resume || true
  read -r kib secs <"$dir/time.txt"
  printf '%-40s peak %6.1f MiB  %5.2f s  %s rows created\n' "$1" "$(echo "$kib / 1024" | bc -l)" "$secs" \
    "$(grep -c ',created,' "$dir/r.csv")"
}
echo "resume of $rows rows, all but the first done"
resume "every row read kept for the run" $((rows * 2)) kept
resume "as shipped (kept up to 20,000)" "" shipped
