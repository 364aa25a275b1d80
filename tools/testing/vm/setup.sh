#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs from Debian's archive everything the build and the test VM need.
# The exact 6.12 kernel is whatever the meta packages point at today; it is
# resolved, never written down.  Idempotent: when every package is present
# it checks and returns without touching the network.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
. "$here/lib.sh"

# Build, sparse, the VM (qemu, busybox initramfs, 9p/overlay from the image's
# modules), nvme backing file (qemu-img), clients in the VM (qemu-io),
# decompressing modules (xz), building the initramfs (cpio), and the tools the
# tests and scripts call (lspci, modprobe, timeout, awk), and socat for the
# host channel to QEMU's monitor (host-channel.sh), and dkms, which the VM
# test of the DKMS install uses, and perf for make bench's profiles.
PKGS=(make gcc libc6-dev sparse cpio xz-utils kmod pciutils gawk coreutils socat dkms
      busybox-static qemu-system-x86 qemu-utils linux-perf
      "$VM_META_IMAGE" "$VM_META_HEADERS")

vm_install "${PKGS[@]}"

rel=$(vm_kernel_release) || vm_die "cannot resolve the kernel behind $VM_META_IMAGE"
# The metas can move ahead of a previously installed release: make sure the
# exact image and headers they name are both present.
vm_install "linux-image-$rel" "linux-headers-$rel"

[ -r "/boot/vmlinuz-$rel" ] || vm_die "/boot/vmlinuz-$rel missing after install"
[ -d "/usr/src/linux-headers-$rel" ] || vm_die "/usr/src/linux-headers-$rel missing after install"
[ -e "/lib/modules/$rel/kernel/drivers/vfio/vfio.ko.xz" ] ||
	[ -e "/lib/modules/$rel/kernel/drivers/vfio/vfio.ko" ] ||
	vm_die "the $rel image has no vfio module"
echo "setup: kernel $rel ready"
