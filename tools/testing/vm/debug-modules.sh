#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debug-modules.sh KDIR OUT: builds our modules and the test-only modules
# against the debug kernel's build tree KDIR, in OUT, a copy of the module
# sources laid out as in the repository.
#
# Why a copy: kbuild 6.12 writes the objects and the .ko of an M= build next
# to the sources, and the work tree's own .ko files are the stock kernel's
# (make check loads them); building there for another kernel would clobber
# them.  The guest of the debug lane puts OUT's .ko files over the repo's
# (guest.sh), so the tests that load a module by a path relative to the repo
# get these.
#
# A file is copied only when its content differs, so an unchanged one keeps
# its time and a second build recompiles only what changed.
set -euo pipefail

[ $# = 2 ] || { echo "usage: debug-modules.sh KDIR OUT" >&2; exit 2; }
kdir=$1
out=$2
src=$(readlink -f "$(dirname "$0")/../../..")
tests=tools/testing/selftests/vfio
# The test-only modules, each built against our Module.symvers.
TEST_MODULES=("$tests/variant" "$tests/denylist" "$tests/igd")

[ -f "$kdir/.config" ] || { echo "debug-modules: $kdir is no kernel build tree" >&2; exit 2; }
mkdir -p "$out"

while IFS= read -r -d '' f; do
	if ! cmp -s "$src/$f" "$out/$f"; then
		mkdir -p "$out/$(dirname "$f")"
		cp "$src/$f" "$out/$f"
	fi
done < <(cd "$src" && find . edu mlx5 "${TEST_MODULES[@]}" -maxdepth 1 -type f \
	\( -name '*.[ch]' -o -name Makefile -o -name Kconfig \) ! -name '*.mod.c' -print0)

# As the top-level Makefile's OOT_CONFIG: every driver of the folder, mlx5's
# where the kernel has mlx5_core.
config=(CONFIG_VFIO_PCI_CORE=m CONFIG_VFIO_PCI=m CONFIG_VFIO_PCI_EDU=m)
grep -q '^CONFIG_MLX5_CORE=[ym]' "$kdir/.config" && config+=(CONFIG_MLX5_VFIO_PCI=m)

make -C "$kdir" M="$out" "${config[@]}" modules
for d in "${TEST_MODULES[@]}"; do
	make -C "$kdir" M="$out/$d" KBUILD_EXTRA_SYMBOLS="$out/Module.symvers" modules
done
