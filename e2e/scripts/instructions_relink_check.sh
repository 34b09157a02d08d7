#!/bin/bash
# Instruction records of merely relinked code (docs/instructions.md): a
# baseline of `service` recorded beside a busy core, then the unchanged
# program and two builds whose code around the profiled functions moved,
# each compared at the default --instructions-threshold. Prints each
# comparison's exit status (0 clean, 1 regression); the tables are left in
# /tmp/perf-relink. Run from anywhere, after `cargo build -p perf-cli`; the
# two source files it edits are put back on exit.
set -u
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
P="$CARGO_TARGET_DIR/debug/cargo-perf"
W=/tmp/perf-relink; OUT=$W/out; rm -rf $W; mkdir -p $W
cp e2e/src/bin/service.rs $W/service-bin.rs
cp e2e/src/service.rs $W/service-lib.rs
trap 'cp $W/service-bin.rs e2e/src/bin/service.rs; cp $W/service-lib.rs e2e/src/service.rs' EXIT
rec() { $P perf record --instructions --runs 1 --warmup 0 --bin service -p perf-e2e --perf-dir $OUT --name "$1" -- --requests 200 >$W/rec-$1.txt 2>&1 || echo "record $1 failed"; cat $OUT/records/latest; }
cmp() { $P perf compare --perf-dir $OUT "$OUT/records/$1/record.json" --against "$2" --all > $W/cmp-$3.txt 2>&1; echo "$3: exit $?"; }
yes > /dev/null & BUSY=$!
B=$(rec base)
kill $BUSY
U=$(rec same)
# 1. The binary: main gains a branch and a function it never calls.
python3 - <<'PY'
p='e2e/src/bin/service.rs'; s=open(p).read()
s=s.replace("fn main() -> ExitCode {\n", "fn main() -> ExitCode {\n    if std::env::var_os(\"PERF_RELINK_NEVER_SET\").is_some() {\n        println!(\"{}\", never((1..99).collect()));\n    }\n",1)
s+="\n#[inline(never)]\nfn never(v: Vec<u64>) -> String {\n    v.iter().map(|x| format!(\"{x:x}\")).collect::<Vec<_>>().join(\",\")\n}\n"
open(p,'w').write(s)
PY
R1=$(rec relink-bin)
cp $W/service-bin.rs e2e/src/bin/service.rs
# 2. The library: a function placed before the profiled ones, called by serve on a request count no one asks for.
python3 - <<'PY'
p='e2e/src/service.rs'; s=open(p).read()
s=s.replace("pub fn serve(knobs: &Knobs) -> u64 {\n    let mut checksum = 0u64;\n", "#[inline(never)]\nfn never(n: u64) -> u64 {\n    (0..n).map(|i| i.wrapping_mul(0x9E37_79B9).rotate_left(7)).fold(1, u64::wrapping_add)\n}\n\npub fn serve(knobs: &Knobs) -> u64 {\n    let mut checksum = if knobs.requests == u32::MAX { never(u64::from(knobs.requests)) } else { 0 };\n",1)
open(p,'w').write(s)
PY
grep -n "fn never" e2e/src/service.rs >/dev/null || echo "lib patch did not apply"
R2=$(rec relink-lib)
cp $W/service-lib.rs e2e/src/service.rs
cmp $B $U same
cmp $B $R1 relink-bin
cmp $B $R2 relink-lib
echo DONE
