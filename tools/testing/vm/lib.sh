# SPDX-License-Identifier: GPL-2.0-only
# Shared by setup.sh, run.sh and debug-kernel.sh; sourced, not run.

# The Debian meta packages that name the kernel the test VM boots.
VM_META_IMAGE=linux-image-6.12-amd64
VM_META_HEADERS=linux-headers-6.12-amd64

# Everything the VM and its tests need lives here, outside the repository.
VM_CACHE=${VFIO_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfio-pci-vm}

vm_die()
{
	echo "vm: $*" >&2
	exit 2
}

# Installs those of the named Debian packages that are missing (as root),
# saying so on stderr: a caller's stdout stays its own (debug-kernel.sh
# prints its directory there).
vm_install()
{
	local need p

	need=$(for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done)
	[ -n "$need" ] || return 0
	[ "$(id -u)" = 0 ] || vm_die "root is needed to install:" $need
	echo "vm: installing" $need >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >&2
}

# Exact kernel release the installed image meta package points at, e.g.
# "6.12.117+deb12-amd64", read from its dependency on linux-image-<release>.
vm_kernel_release()
{
	local dep

	dep=$(dpkg-query -W -f='${Depends}' "$VM_META_IMAGE" 2>/dev/null) || return 1
	dep=$(printf '%s\n' "$dep" | tr ',|' '\n\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' |
	      grep -v '^6\.12-amd64$' | head -n1)
	[ -n "$dep" ] || return 1
	printf '%s\n' "$dep"
}
