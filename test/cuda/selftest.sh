#!/bin/sh
# The compile check must be able to fail: a module NVRTC rejects and a kernel
# that spills are reported (exit 1, naming the kernel and the source path);
# a clean module passes. $DLC_CHECK is the checker, $1 this directory, $2 a
# scratch directory.
set -u
here=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
run() { "$DLC_CHECK" --arch sm_90 --no-cache --source-dir "$work/src" "$@" >"$work/out" 2>&1; echo $?; }

rc=$(run --spills --module "$here/selftest_ok.cu")
[ "$rc" = 77 ] && { cat "$work/out"; exit 77; }
[ "$rc" = 0 ] || { echo "a clean module failed the check:"; cat "$work/out"; exit 1; }

rc=$(run --module "$here/selftest_bad.cu")
grep -q "first error in kernel 'k1_bad'" "$work/out" && grep -q "source written to" "$work/out" && [ "$rc" = 1 ] ||
  { echo "a module NVRTC rejects was not reported (rc $rc):"; cat "$work/out"; exit 1; }

rc=$(run --spills --module "$here/selftest_spills.cu")
grep -q "spills for sm_90" "$work/out" && grep -q "kernel 'k0_spills'" "$work/out" && [ "$rc" = 1 ] ||
  { echo "a spilling kernel was not reported (rc $rc):"; cat "$work/out"; exit 1; }
# Without --spills the same module passes.
rc=$(run --module "$here/selftest_spills.cu")
[ "$rc" = 0 ] || { echo "--spills off still failed:"; cat "$work/out"; exit 1; }
echo "selftest passed"
