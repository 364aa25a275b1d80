#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# private-fs.sh REPO COMMAND...: runs COMMAND in the test VM with private,
# throw-away copies of /usr, /var, /etc and the repository (overlays on a
# fresh tmpfs, in a mount namespace of its own), and a fresh /tmp.
#
# guest.sh runs the installer tests (make install, DKMS) this way in the
# background while the lanes run: what they install, the module indexes
# depmod rewrites and the DKMS tree are then invisible to every other
# program, so a lane that loads the reference's vfio-pci by name still gets
# the kernel's module.  The caller has already unshared the mount namespace
# (unshare -m --propagation private); this script only mounts.  Exec's
# COMMAND, so its pid and process group stay the caller's.
set -eu

repo=$1
shift

mount -t tmpfs -o size=1g,mode=1777 private /tmp
mkdir -p /tmp/.private
i=0
for dir in /usr /var /etc "$repo"; do
	i=$((i + 1))
	mkdir -p "/tmp/.private/$i/u" "/tmp/.private/$i/w"
	mount -t overlay overlay \
		-o "lowerdir=$dir,upperdir=/tmp/.private/$i/u,workdir=/tmp/.private/$i/w" "$dir"
done
# The working directory was looked up before the mounts: again, through them.
cd "$PWD"
exec "$@"
