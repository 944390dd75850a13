# Sourced by gpu-suite.sh and gpu-bench.sh on the GPU machine: unpacks the
# bundle beside them into /tmp/dlc-gpu, sets the library path and the kernel
# cache, and gives `step NAME COMMAND...`, which runs a command with its log
# in $OUT/NAME.log and records one summary line (name, exit code, seconds,
# the log's last line) in the array `summary`.
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
out=${OUT:-/tmp/dlc-gpu-out}
root=/tmp/dlc-gpu
mkdir -p "$out" "$root"
tar -C "$root" -xJf "$here/bundle.tar.xz"
export LD_LIBRARY_PATH="$root/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export DLC_CACHE_DIR=$root/kernel-cache
export PYTHONUNBUFFERED=1
dlc=$root/bin/dlc
summary=()
step() {
  local name=$1; shift
  local t0=$SECONDS
  "$@" >"$out/$name.log" 2>&1
  local rc=$?
  summary+=("$(printf '%-14s rc=%-3s %4ss  %s' "$name" "$rc" $((SECONDS - t0)) "$(tail -1 "$out/$name.log")")")
}
