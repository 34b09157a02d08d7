#!/bin/bash
# The instruction gate's check (docs/instructions.md): one baseline (recorded under a busy core), 20 unchanged records and 20 with 1% more work in price.
# Run from anywhere (from the worktree's root, after `cargo build -p perf-cli`); prints, per case and threshold, the exit status of each of the 20 comparisons (0 clean, 1 regression).
set -u
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
P="$CARGO_TARGET_DIR/debug/cargo-perf"
OUT=/tmp/g66/out; mkdir -p /tmp/g66
rm -rf $OUT
rec() { nice -n 19 $P perf record --instructions --runs 1 --warmup 0 --bin service -p perf-e2e --perf-dir $OUT --name "$1" -- --requests 200 "${@:2}" >/dev/null 2>&1 || echo "record $1 failed"; cat $OUT/records/latest; }
cmp() { nice -n 19 $P perf compare --perf-dir $OUT "$OUT/records/$1/record.json" --against "$2" "${@:3}" >/dev/null 2>&1; echo $?; }
# The baseline is recorded while another process keeps a core busy; the
# other records on the machine as it is.
yes > /dev/null & BUSY=$!
B=$(rec base)
kill $BUSY
declare -A n
for i in $(seq 1 20); do
  U=$(rec same$i)
  S=$(rec slow$i --slow price:1)
  for t in 1% 0.5%; do
    n[same_$t]+="$(cmp $B $U --instructions-threshold $t) "
    n[slow_$t]+="$(cmp $B $S --instructions-threshold $t) "
  done
done
for k in "${!n[@]}"; do echo "$k: ${n[$k]}"; done
nice -n 19 $P perf compare --perf-dir $OUT "$OUT/records/$B/record.json" --against "$S" > /tmp/g66/slow-1pc.txt 2>&1
nice -n 19 $P perf compare --perf-dir $OUT "$OUT/records/$B/record.json" --against "$S" --instructions-threshold 0.5% > /tmp/g66/slow-0.5pc.txt 2>&1
nice -n 19 $P perf compare --perf-dir $OUT "$OUT/records/$B/record.json" --against "$U" > /tmp/g66/same.txt 2>&1
