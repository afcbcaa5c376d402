#!/bin/sh
# PID 1 of the qemu guest built by run.sh (tests/kernel/qemu): mounts the
# pseudo file systems, loads the netfilter modules, runs the live kernel
# tests and the seed's experiment on this fresh kernel, writes everything to
# the serial console and to /results/, then powers the guest off.
#
# Knobs come from the kernel command line (unknown key=value parameters are
# passed to init as environment): bpfs_runs, bpfs_seconds, bpfs_steps.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root DENO_DIR=/root/.cache/deno NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
# TCG is 10-50x slower than the machines the timeouts were chosen for.
export BPFS_KERNEL_TIMEOUT_MS=${BPFS_KERNEL_TIMEOUT_MS:-180000}
export BPFS_KERNEL_TESTS=1  # the guest exists to run the live kernel tests
runs=${bpfs_runs:-3}
seconds=${bpfs_seconds:-3}
steps=$(echo "${bpfs_steps:-live,live_nft,u32,iperf}" | tr , " ")

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mount -o remount,rw /
hostname bpfs-guest
ip link set lo up

mkdir -p /results
log=/results/guest.log
: >"$log"
say() { echo "$*" | tee -a "$log" >/dev/console; }
step() { # name, command...: runs it, output to console and /results/<name>.log
  name=$1
  shift
  say "=== BEGIN $name: $* ($(date -u +%T))"
  "$@" >"/results/$name.log" 2>&1 &
  pid=$!
  tail -n +1 -f "/results/$name.log" --pid=$pid >/dev/console 2>&1
  wait $pid
  rc=$?
  say "=== END $name: exit $rc ($(date -u +%T))"
}

for m in veth x_tables xt_bpf xt_u32 xt_mac xt_mark xt_tcpudp ip_tables ip6_tables \
  iptable_raw ip6table_raw iptable_filter ip6table_filter nf_tables \
  nft_compat; do
  modprobe "$m" 2>>"$log" || say "modprobe $m failed"
done

say "guest: $(uname -r), $(nproc) CPUs, $(grep MemTotal /proc/meminfo), bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable)"
say "guest: $(iptables-legacy -V), $(iptables-nft -V), $(iperf3 --version | head -1), $(deno --version | head -1)"

cd /work/main || exit 1
for s in $steps; do
  case $s in
  live) step live deno test -A --no-check --sanitize-ops --sanitize-resources tests/kernel ;;
  live_nft) BPFS_IPTABLES=nft step live_nft deno test -A --no-check --sanitize-ops \
    --sanitize-resources tests/kernel/live_test.ts ;;
  u32) BPFS_IPTABLES=legacy step u32 deno run -A --no-check tests/kernel/check_u32.ts ;;
  iperf) step iperf deno run -A --no-check bench/kernel_iperf.ts --runs "$runs" --seconds "$seconds" ;;
  *) say "unknown step $s" ;;
  esac
done
say "guest: leftover namespaces: $(ip netns list | tr '\n' ' ')"
say "guest: tasks in D state: $(ps -eo stat,comm | awk '$1 ~ /^D/ {print $2}' | tr '\n' ' ')"
dmesg >/results/dmesg.log
say "=== ALL DONE"
sync
mount -o remount,ro / 2>/dev/null
sync
echo o >/proc/sysrq-trigger
sleep 30
