#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Cross-builds the modules for s390x against Debian's 6.12 s390x kernel
# headers, so that the zPCI code (vfio_pci_zdev.c, built only for s390) is
# compiled and linked by kbuild like the rest: W=1, any warning fails.
#
# What it needs and where it keeps it:
#  - gcc-s390x-linux-gnu (the compiler Debian's s390x kernel names,
#    s390x-linux-gnu-gcc-12), installed with apt-get if missing;
#  - linux-headers-<rel>-s390x (s390x), linux-headers-<rel>-common and the
#    host's linux-kbuild-<rel>, of one version, taken from the release's
#    backports suite, where Debian builds 6.12 for s390x.  They are
#    downloaded with a private apt configuration (nothing is added to the
#    system's sources or architectures) and unpacked with dpkg -x into
#    $VFIO_S390X_CACHE (default ~/.cache/vfio-pci-s390x), one tree per
#    package version.  linux-kbuild's fixdep and modpost are host binaries:
#    the s390x headers point at them already, which is how Debian supports
#    cross-building modules.
#  - the build itself runs in a copy of the sources under the cache, so the
#    work tree's own (host) objects are left alone.
#
# The package index is refreshed at most once a day; a cached tree is used
# if the refresh fails.  VFIO_S390X_OFFLINE=1 never refreshes it.
set -euo pipefail

src=$(readlink -f "$(dirname "$0")/../../..")
cache=${VFIO_S390X_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-pci-s390x}
cross=s390x-linux-gnu-

die()
{
	echo "s390x build: $*" >&2
	exit 1
}

# --- the cross compiler ----------------------------------------------------

if ! command -v "${cross}gcc-12" > /dev/null; then
	[ "$(id -u)" = 0 ] || die "needs root to install gcc-s390x-linux-gnu"
	echo "s390x build: installing gcc-s390x-linux-gnu"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends gcc-s390x-linux-gnu > /dev/null
fi

# --- a private apt for the s390x headers -----------------------------------

# shellcheck source=/dev/null
. /etc/os-release
suite=$VERSION_CODENAME-backports
host_arch=$(dpkg --print-architecture)
# The mirror the system already uses for its own release; no host is
# written down here.
# shellcheck disable=SC2016 # apt's format fields, not shell expansions
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' |
	 awk -v r="$VERSION_CODENAME" '$2 == r && $3 == "main" { print $1; exit }')
[ -n "$mirror" ] || die "no $VERSION_CODENAME main in the system's apt sources"

aptdir=$cache/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/prefs.d"
printf 'deb [arch=s390x,%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
	"$host_arch" "$mirror" "$suite" > "$aptdir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$aptdir/sources.list"
	  -o Dir::Etc::SourceParts=/nonexistent
	  -o "Dir::Etc::Preferences=$aptdir/prefs"
	  -o "Dir::Etc::PreferencesParts=$aptdir/prefs.d"
	  -o "Dir::State::Lists=$aptdir/lists"
	  -o "Dir::Cache=$aptdir/cache"
	  -o Dir::State::status=/dev/null
	  -o APT::Sandbox::User=root
	  -o "APT::Architecture=$host_arch"
	  -o APT::Architectures::=s390x)

stamp=$aptdir/updated
if [ "${VFIO_S390X_OFFLINE:-0}" != 1 ] &&
   [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	if apt-get "${apt_opts[@]}" update -qq 2> "$aptdir/update.log"; then
		touch "$stamp"
	else
		echo "s390x build: could not refresh the $suite index, using the cache" >&2
	fi
fi

# The newest 6.12 release the suite has s390x headers for (its meta package
# may move on to a later kernel): resolved, never written down.  Without an
# index, the newest tree in the cache.
rel=$(apt-cache "${apt_opts[@]}" pkgnames linux-headers-6.12. 2>/dev/null |
      sed -n 's/^linux-headers-\(6\.12\..*\)-s390x$/\1/p' | sort -V | tail -n1)
if [ -n "$rel" ]; then
	ver=$(apt-cache "${apt_opts[@]}" show "linux-headers-$rel-s390x:s390x" |
	      sed -n 's/^Version: //p' | sort -V | tail -n1)
else
	ver=$(find "$cache" -mindepth 2 -maxdepth 2 -path '*/tree-*/.complete' -printf '%h\n' \
	      2> /dev/null | sed 's|.*/tree-||' | sort -V | tail -n1)
	[ -n "$ver" ] || die "no 6.12 s390x headers in $suite and none cached"
	rel=$(cat "$cache/tree-$ver/.release")
fi

# --- the headers, unpacked once per package version ------------------------

tree=$cache/tree-$ver
kdir=$tree/usr/src/linux-headers-$rel-s390x
if [ ! -e "$tree/.complete" ]; then
	echo "s390x build: fetching the $rel ($ver) s390x headers"
	rm -rf "$tree" "$cache/debs"
	mkdir -p "$cache/debs"
	(cd "$cache/debs" && apt-get "${apt_opts[@]}" download -qq \
		"linux-headers-$rel-s390x:s390x=$ver" \
		"linux-headers-$rel-common=$ver" \
		"linux-kbuild-$rel:$host_arch=$ver")
	for deb in "$cache"/debs/*.deb; do
		dpkg -x "$deb" "$tree"
	done
	rm -rf "$cache/debs"
	# The arch tree includes the common one by its installed path.
	sed -i "s|^include /usr/src/|include $tree/usr/src/|" "$kdir/Makefile"
	grep -q "^include $tree/" "$kdir/Makefile" || die "unexpected $kdir/Makefile"
	echo "$rel" > "$tree/.release"
	touch "$tree/.complete"
fi

# --- the build ---------------------------------------------------------------

build=$cache/build
mkdir -p "$build"
# Sources only: the work tree may hold a host build's objects.  A file is
# copied when its content differs, so an unchanged one keeps its time and a
# warm build rebuilds only what changed, whatever the work tree's times.
while IFS= read -r -d '' f; do
	if ! cmp -s "$src/$f" "$build/$f"; then
		mkdir -p "$build/$(dirname "$f")"
		cp "$src/$f" "$build/$f"
	fi
done < <(cd "$src" && find . edu mlx5 -maxdepth 1 -type f \
	\( -name '*.[ch]' -o -name Makefile -o -name Kconfig \) ! -name '*.mod.c' -print0)

config=(CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m CONFIG_VFIO_PCI_EDU=m
	CONFIG_VFIO_PCI_ZDEV_KVM=y)
grep -q '^CONFIG_MLX5_CORE=[ym]' "$kdir/.config" && config+=(CONFIG_MLX5_VFIO_PCI=m)

# sparse too, over what is recompiled, where make setup installed it.
check=()
command -v sparse > /dev/null && check=(C=1)

log=$build/build.log
if ! make -C "$kdir" M="$build" ARCH=s390 CROSS_COMPILE="$cross" \
	"${config[@]}" W=1 "${check[@]}" modules > "$log" 2>&1; then
	cat "$log" >&2
	die "make failed"
fi
if grep -E 'warning:|error:' "$log" >&2; then
	# Else an unchanged rerun would rebuild nothing and pass.
	find "$build" -name '*.o' -delete
	die "warnings (W=1), see above"
fi

# --- what came out -------------------------------------------------------------

ko=$build/vfio-pci-core.ko
"${cross}objdump" -f "$ko" | grep -q 'file format elf64-s390' ||
	die "vfio-pci-core.ko is not an s390x object"
syms=$("${cross}nm" "$ko")
grep -q ' T vfio_pci_info_zdev_add_caps$' <<< "$syms" ||
	die "vfio-pci-core.ko lacks vfio_pci_zdev.o"
grep -q ' U zpci_kvm_hook$' <<< "$syms" ||
	die "vfio-pci-core.ko does not use zpci_kvm_hook"
for m in vfio-pci.ko edu/edu-vfio-pci.ko; do
	[ -e "$build/$m" ] || die "$m was not built"
done

echo "s390x build: against linux-headers-$rel-s390x $ver"
echo "s390x build: vfio-pci-core.ko (with vfio_pci_zdev.o) OK"
