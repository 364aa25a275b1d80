#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Builds, once per machine, the debug kernel the test VM's debug lane boots
# (make check KERNEL=debug): Debian's linux-source-6.12 with
# debug-kernel/debug.config (KASAN, lockdep, kmemleak, UBSAN, ...) merged
# over x86_64_defconfig and kvm_guest.config.
#
# The build lives in the VM cache, keyed by the source package's version and
# the fragment's sha256, so a second run only prints the directory, and a new
# source package or an edited fragment gets a kernel of its own.  The
# directory holds:
#   linux/             the configured and built tree (KDIR for module builds)
#   bzImage            the kernel the VM boots
#   modules/lib/modules/<release>/   its modules, staged by modules_install
#   release            the kernel release string
#
# Prints the directory on stdout, everything else on stderr.
#
# Usage: debug-kernel.sh [--check]
#   --check  only print the directory if the kernel is built; exit 1 if not
#            (builds and installs nothing)
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
. "$here/lib.sh"

FRAGMENT=$here/debug-kernel/debug.config
SRC_PKG=linux-source-6.12
SRC_TAR=/usr/src/$SRC_PKG.tar.xz
# Three jobs on the two cores: the C compiles stall on I/O often enough
# that one extra job keeps both cores busy.  Measured cold: 52 min 40 s
# with another session's test VM beside it (58 min of CPU time in all), and
# 26 min 47 s with a VM beside it only a few minutes.
JOBS=${DEBUG_KERNEL_JOBS:-3}

only_check=0
case "${1:-}" in
--check) only_check=1 ;;
"") ;;
*) vm_die "usage: debug-kernel.sh [--check]" ;;
esac

log()
{
	echo "debug-kernel: $*" >&2
}


cache_dir()
{
	local ver sum

	ver=$(dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null) || return 1
	[ -n "$ver" ] || return 1
	sum=$(sha256sum "$FRAGMENT" | cut -c1-16)
	# The version has characters ('+', '~', ':') that are fine in a path
	# but awkward in make; keep it readable and safe.
	echo "$VM_CACHE/debug-kernel/${ver//[^A-Za-z0-9.+-]/_}-$sum"
}

# A finished build is marked last, so an interrupted one is never taken for
# a good one.
built()
{
	[ -f "$1/done" ] && [ -f "$1/bzImage" ] && [ -f "$1/release" ]
}

if [ "$only_check" = 1 ]; then
	dir=$(cache_dir) || exit 1
	built "$dir" || exit 1
	echo "$dir"
	exit 0
fi

# The kernel source and what building it needs (bc, bison, flex for the
# build tools, libelf for objtool, libssl for module signing's sign-file,
# dwarves for pahole, kmod for depmod in modules_install).
PKGS=("$SRC_PKG" make gcc libc6-dev bc bison flex libelf-dev libssl-dev dwarves
      kmod xz-utils)
vm_install "${PKGS[@]}"
[ -r "$SRC_TAR" ] || vm_die "$SRC_TAR missing after installing $SRC_PKG"

dir=$(cache_dir) || vm_die "cannot read the version of $SRC_PKG"
if built "$dir"; then
	echo "$dir"
	exit 0
fi

# Two makes asking at once (say, two lanes) must not build the same tree
# twice in parallel; the second waits and then finds it built.
mkdir -p "$VM_CACHE/debug-kernel"
exec 9>"$VM_CACHE/debug-kernel/.lock"
flock 9
if built "$dir"; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
log "building into $dir (30 to 50 minutes with -j$JOBS on 2 cores)"
# A half-built tree of an interrupted run is not trusted: start over.
rm -rf "$dir"
mkdir -p "$dir"
tar -C "$dir" -xf "$SRC_TAR"
mv "$dir/$SRC_PKG" "$dir/linux"
src=$dir/linux

# Keep the fragment that made this kernel next to it, for whoever wonders.
cp "$FRAGMENT" "$dir/debug.config"

mk()
{
	make -C "$src" -s "$@" >&2
}

mk x86_64_defconfig
mk kvm_guest.config
# -m: merge only; olddefconfig below fills in the rest.
(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$FRAGMENT") >&2
mk olddefconfig

# merge_config.sh drops a symbol whose dependencies are unmet and only says
# so in its chatter: check every line of the fragment against the result.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*}
		want=${line#*=}
		got=$(grep -m1 -E "^$sym=|^# $sym is not set" "$src/.config" || true)
		if [ "$got" != "$line" ]; then
			log "config: want $line, got '${got:-absent}'"
			bad=1
		fi
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		# Absent means its menu is off: as good as not set.
		if grep -q -E "^$sym=" "$src/.config"; then
			log "config: want '$line', got '$(grep -m1 -E "^$sym=" "$src/.config")'"
			bad=1
		fi
		;;
	esac
done <"$FRAGMENT"
[ "$bad" = 0 ] || vm_die "the debug config lost symbols of $FRAGMENT (see above)"
log "config verified: every symbol of debug.config is as asked"

mk -j"$JOBS" bzImage modules
rel=$(make -C "$src" -s kernelrelease)
# Staged beside the tree, never in the host's /lib/modules: the VM binds
# this directory over its own /lib/modules/<release>.
mk INSTALL_MOD_PATH="$dir/modules" modules_install
cp "$src/arch/x86/boot/bzImage" "$dir/bzImage"
echo "$rel" >"$dir/release"

secs=$(( $(date +%s) - start ))
echo "$secs" >"$dir/done"
log "kernel $rel built in $((secs / 60)) min $((secs % 60)) s"
echo "$dir"
