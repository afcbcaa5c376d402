#!/bin/bash
# Runs the live kernel tests (tests/kernel) and the seed's experiment
# (bench/kernel_iperf.ts) on a FRESH Debian kernel inside a qemu guest, for a
# host whose own kernel cannot be used (wedged, no root, no xt_bpf). Needs root
# on the host only for apt-get, debootstrap and mke2fs; the guest does all the
# netfilter and BPF work. Nothing on the host creates a BPF program or touches
# its iptables/nftables.
#
#   sudo tests/kernel/qemu/run.sh            # build what is missing, boot, print results
#   sudo BPFS_QEMU_STEPS="live" tests/kernel/qemu/run.sh
#
# Work files (never in the repo), each reused when present; delete to rebuild:
#   $BPFS_QEMU_WORK/kernel/   linux-image .deb extracted (vmlinuz + modules)
#   $BPFS_QEMU_WORK/root/     debootstrap'ed Debian bookworm rootfs
#   $BPFS_QEMU_WORK/initrd.cpio.gz, $BPFS_QEMU_WORK/disk.img, $BPFS_QEMU_WORK/results/
# Knobs: BPFS_QEMU_WORK (/tmp/bpfs-qemu), BPFS_QEMU_MEM (6G), BPFS_QEMU_SMP (2),
#   BPFS_QEMU_ACCEL (auto: kvm when it boots, else tcg), BPFS_QEMU_STEPS
#   ("live live_nft u32 iperf"), BPFS_QEMU_RUNS (3), BPFS_QEMU_SECONDS (3),
#   BPFS_QEMU_MIRROR (http://deb.debian.org/debian), BPFS_QEMU_TIMEOUT (7200 s).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
shared=$(cd "$repo/../shared" 2>/dev/null && pwd || true)
work=${BPFS_QEMU_WORK:-/tmp/bpfs-qemu}
mirror=${BPFS_QEMU_MIRROR:-http://deb.debian.org/debian}
mem=${BPFS_QEMU_MEM:-6G}
smp=${BPFS_QEMU_SMP:-2}
steps=${BPFS_QEMU_STEPS:-live live_nft u32 iperf}
mkdir -p "$work"

need=()
for pair in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap busybox:busybox-static \
  cpio:cpio depmod:kmod mke2fs:e2fsprogs debugfs:e2fsprogs; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# 1. The kernel: Debian's current linux-image-amd64 dependency, extracted (not installed).
if ! ls "$work"/kernel/boot/vmlinuz-* >/dev/null 2>&1; then
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
  mkdir -p "$work/kernel"
  (cd "$work" && apt-get download "$pkg")
  dpkg-deb -x "$work/$pkg"_*.deb "$work/kernel"
fi
kver=$(basename "$(ls -d "$work"/kernel/lib/modules/*/)")
depmod -b "$work/kernel" "$kver"

# 2. The rootfs.
if [ ! -e "$work/root/etc/debian_version" ]; then
  debootstrap --variant=minbase \
    --include=iptables,iproute2,python3,iperf3,kmod,procps,ca-certificates \
    bookworm "$work/root" "$mirror"
fi
root=$work/root
rm -rf "$root/lib/modules" && mkdir -p "$root/lib/modules"
cp -a "$work/kernel/lib/modules/$kver" "$root/lib/modules/"
install -m 755 "$(readlink -f "$(command -v deno)")" "$root/usr/local/bin/deno"
rm -rf "$root/work" && mkdir -p "$root/work/main"
# The working tree as it is (tracked and new files, not .git), so uncommitted fixes are tested.
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) |
  tar -xf - -C "$root/work/main"
[ -d "$repo/node_modules" ] && cp -a "$repo/node_modules" "$root/work/main/"
if [ -n "$shared" ]; then cp -a "$shared" "$root/work/shared"; fi
install -m 755 "$here/guest_run.sh" "$root/guest_run.sh"
# Deno's cache inside the rootfs, so the guest needs no network.
(cd "$root/work/main" && DENO_DIR="$root/root/.cache/deno" deno cache \
  tests/kernel/*_test.ts tests/kernel/check_u32.ts bench/kernel_iperf.ts)
rm -rf "$root/results"

# 3. An initramfs that loads virtio_blk + ext4 (modules in Debian's kernel) and switches root.
ird=$work/initrd
rm -rf "$ird" && mkdir -p "$ird"/{bin,dev,proc,sys,newroot,mods}
cp "$(command -v busybox)" "$ird/bin/busybox"
: >"$ird/mods/order"
for m in virtio_pci virtio_blk crc32c_generic ext4; do
  modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$ird/mods/" && basename "$ko" >>"$ird/mods/order"
done
cat >"$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for ko in $(cat /mods/order); do insmod "/mods/$ko" 2>/dev/null; done
for i in $(seq 1 50); do [ -b /dev/vda ] && break; sleep 0.2; done
mount -t ext4 -o rw /dev/vda /newroot || { echo "initrd: cannot mount /dev/vda"; sh; }
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /guest_run.sh
INIT
chmod 755 "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.cpio.gz"

# 4. The disk image.
rm -f "$work/disk.img"
mke2fs -q -t ext4 -d "$root" -L bpfsroot "$work/disk.img" 6G

# 5. Boot. KVM when it works here, else TCG (software emulation).
accel=${BPFS_QEMU_ACCEL:-auto}
kernel_args="console=ttyS0 panic=-1 quiet loglevel=4 bpfs_runs=${BPFS_QEMU_RUNS:-3}"
kernel_args+=" bpfs_seconds=${BPFS_QEMU_SECONDS:-3} bpfs_steps=${steps// /,}"
if [ "$accel" = auto ]; then
  accel=tcg
  if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
fi
cpu=max
[ "$accel" = kvm ] && cpu=host
echo "run.sh: booting $kver with -accel $accel -cpu $cpu -m $mem -smp $smp (steps: $steps)" >&2
timeout "${BPFS_QEMU_TIMEOUT:-7200}" qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" \
  -smp "$smp" -kernel "$work/kernel/boot/vmlinuz-$kver" -initrd "$work/initrd.cpio.gz" \
  -append "$kernel_args" -drive "file=$work/disk.img,format=raw,if=virtio" \
  -nic none -nographic -no-reboot </dev/null | tee "$work/console.log"

# 6. Results out of the image.
rm -rf "$work/results"
debugfs -R "rdump /results $work" "$work/disk.img" 2>/dev/null
echo "run.sh: results in $work/results ($(ls "$work/results" | tr '\n' ' '))" >&2
