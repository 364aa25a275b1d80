# SPDX-License-Identifier: GPL-2.0-only
# Shared by setup.sh and run.sh; sourced, not run.

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
