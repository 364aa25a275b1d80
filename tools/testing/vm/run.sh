#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Boots Debian's 6.12 kernel in QEMU (TCG, q35, emulated Intel IOMMU) with the
# device zoo of ./zoo, the host's root shared read-only as the guest's root,
# and runs guest.sh there: the selftests against our modules and/or the
# reference, the demo, or an interactive shell.  Prints every result and a
# closing line "N passed, N failed, N skipped"; exits 1 when anything failed.
#
# QEMU always ends: it runs under a hard timeout, the guest powers itself off,
# and the runner kills it on any exit of its own.
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
repo=$(cd "$here/../../.." && pwd)
. "$here/lib.sh"

usage()
{
	cat <<EOF
usage: $0 [options]
  --driver D      ours, reference or both (default both; shell: ours)
  --test NAMES    run only these test programs, comma-separated (e.g.
                  vfio_device_info_test or vfio_bar_rw_test,vfio_bar_mmap_test)
  --device BDF    bind and test only this function (e.g. 0000:00:03.0)
  --env NAME=VAL  set NAME for the test programs (repeatable)
  --timeout S     per-test timeout in the guest (default 180)
  --vm-timeout S  hard limit on the whole VM (default 1500)
  --boot-timeout S  limit on reaching userspace (default 300; 900 with
                  --kernel-dir); a guest that misses it is booted once more
  --append ARGS   more kernel command line (e.g. panic_on_warn=1)
  --kernel REL    kernel release to boot (default: from $VM_META_IMAGE)
  --kernel-dir D  boot the kernel built by debug-kernel.sh in D instead
                  (D/bzImage; D/modules/lib/modules/<release> becomes the
                  guest's /lib/modules/<release>)
  --modules D     our modules built for that kernel, laid out as in the
                  repository (default: the repository's own build)
  --demo          run the demo instead of the tests
  --bench DIR     run vfio_bench in each lane instead of the tests; the
                  lanes' CSV files (ours.csv, reference.csv) go to DIR
  --profile LIST  with --bench: also profile these vfio_bench paths
                  (comma-separated, e.g. config,bar_rw4) with perf in the
                  guest; the reports go to DIR as profile-<lane>-<path>.txt
  --accel A       tcg, kvm or auto (default auto: KVM when /dev/kvm is
                  usable, else TCG)
  --tcg-thread T  single or multi: TCG's vCPU threads (default single;
                  multi for --bench, whose figures were taken so)
  --exec CMD      run a shell command in the VM with the zoo bound (first lane)
  --shell         an interactive shell in the VM (quit the shell to power off)
  --keep          keep the run directory (logs) even when everything passed
EOF
	exit "${1:-2}"
}

driver=both test= device= timeout=180 vm_timeout=1500 rel= mode=check keep= exec= envs=
boot_timeout=
append= kernel_dir= modules=$repo
bench_dir= profile= accel=${VM_ACCEL:-auto} tcg_thread=${VM_TCG_THREAD:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--driver) driver=${2:?}; shift ;;
	--test) test=${2:?}; shift ;;
	--device) device=${2:?}; shift ;;
	--timeout) timeout=${2:?}; shift ;;
	--env) envs="$envs ${2:?}"; shift ;;
	--vm-timeout) vm_timeout=${2:?}; shift ;;
	--boot-timeout) boot_timeout=${2:?}; shift ;;
	--append) append="$append ${2:?}"; shift ;;
	--kernel) rel=${2:?}; shift ;;
	--kernel-dir) kernel_dir=${2:?}; shift ;;
	--modules) modules=${2:?}; shift ;;
	--demo) mode=demo ;;
	--bench) mode=bench; bench_dir=${2:?}; shift ;;
	--profile) profile=${2:?}; shift ;;
	--accel) accel=${2:?}; shift ;;
	--tcg-thread) tcg_thread=${2:?}; shift ;;
	--shell) mode=shell ;;
	--exec) mode=exec; exec=${2:?}; shift ;;
	--keep) keep=1 ;;
	-h|--help) usage 0 ;;
	*) usage ;;
	esac
	shift
done

case "$driver" in
ours|reference) lanes=$driver ;;
# The reference first: differential tests record its view, then compare.
both) lanes="reference ours" ;;
*) usage ;;
esac
case "$mode" in shell|exec) [ "$driver" = both ] && lanes=ours ;; esac
[ "$mode" = demo ] && lanes=ours

# The guest's kernel modules: the host's own /lib/modules for Debian's
# kernel; for a kernel of debug-kernel.sh, its staged modules, which the
# guest's init mounts over /lib/modules/<release> (in the guest's overlay:
# nothing of the host's /lib/modules changes).
guest_kmods=
# Stock boots reach userspace in ~20 s under TCG, the debug kernel in ~150.
[ -n "$boot_timeout" ] || boot_timeout=$([ -n "$kernel_dir" ] && echo 900 || echo 300)
if [ -n "$kernel_dir" ]; then
	kernel_dir=$(readlink -f "$kernel_dir")
	rel=$(cat "$kernel_dir/release" 2>/dev/null) || vm_die "$kernel_dir is no debug-kernel.sh build"
	kernel=$kernel_dir/bzImage
	moddir=$kernel_dir/modules/lib/modules/$rel
	guest_kmods=$moddir
	[ -d "$moddir" ] || vm_die "$moddir missing"
else
	[ -n "$rel" ] || rel=$(vm_kernel_release) || vm_die "no $VM_META_IMAGE installed; run 'make setup'"
	kernel=/boot/vmlinuz-$rel
	moddir=/lib/modules/$rel
fi
[ -r "$kernel" ] || vm_die "$kernel missing; run 'make setup'"
modules=$(readlink -f "$modules")
for f in vfio-pci-core.ko vfio-pci.ko; do
	[ -e "$modules/$f" ] || vm_die "$modules/$f not built; run 'make'"
done
if [ "$(modinfo -F vermagic "$modules/vfio-pci-core.ko" | cut -d' ' -f1)" != "$rel" ]; then
	vm_die "$modules/vfio-pci-core.ko was not built for $rel"
fi

# ---- the initramfs: busybox, the 9p and overlay modules, ./init ----------
# What the guest needs to mount its root, in load order.  A kernel may have
# them built in (the debug kernel does): those its modules.builtin lists
# are left out, and init loads what /mods/list names.
ROOT_MODULES="netfs 9pnet 9pnet_virtio 9p overlay"

initrd_for()
{
	local key out tmp m f

	key=$( (cat "$here/init"; echo "$rel"; echo "$moddir"
		cat "$moddir/modules.builtin" 2>/dev/null
		/bin/busybox 2>&1 | head -n1) | sha256sum | cut -c1-16)
	out=$VM_CACHE/initrd-$rel-$key.cpio.gz
	if [ ! -s "$out" ]; then
		mkdir -p "$VM_CACHE"
		tmp=$(mktemp -d "$VM_CACHE/initrd.XXXXXX")
		mkdir -p "$tmp"/{bin,dev,proc,sys,mods,newroot}
		cp /bin/busybox "$tmp/bin/busybox"
		cp "$here/init" "$tmp/init"
		chmod 755 "$tmp/init"
		: > "$tmp/mods/list"
		for m in $ROOT_MODULES; do
			f=$(find "$moddir/kernel" -name "$m.ko*" | head -n1)
			if [ -z "$f" ] && grep -q "/$m\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
				continue
			fi
			[ -n "$f" ] || vm_die "no $m module in $moddir, nor built in"
			echo "$m" >> "$tmp/mods/list"
			case "$f" in
			*.xz) xz -dc "$f" > "$tmp/mods/$m.ko" ;;
			*.zst) zstd -dqc "$f" > "$tmp/mods/$m.ko" ;;
			*) cp "$f" "$tmp/mods/$m.ko" ;;
			esac
		done
		(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
		mv "$out.tmp" "$out"
		rm -rf "$tmp"
	fi
	echo "$out"
}
initrd=$(initrd_for)

# ---- the run directory: config in, logs and results out ------------------
mkdir -p "$VM_CACHE/runs"
run=$(mktemp -d "$VM_CACHE/runs/$(date +%Y%m%d-%H%M%S).XXXX")
cat > "$run/config" <<EOF
VM_REPO='$repo'
VM_MODE='$mode'
VM_DRIVERS='$lanes'
VM_TEST='$test'
VM_DEVICE='$device'
VM_TIMEOUT='$timeout'
VM_ENV='$envs'
VM_HOST_CHANNEL='$run/host'
VM_PROFILE='${profile//,/ }'
VM_MODULES='$modules'
VM_KMODS='$guest_kmods'
EOF
printf 'VM_EXEC=%q\n' "$exec" >> "$run/config"
qemu-img create -q -f raw "$run/nvme.img" 64M

# ---- QEMU ----------------------------------------------------------------
zoo_args=()
while read -r bdf kind args; do
	case "$bdf" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2206
	zoo_args+=(${args//@NVME_IMG@/$run/nvme.img})
done < "$here/zoo"

# KVM where this machine has it (the same run, only faster); the emulated
# IOMMU's interrupt remapping then needs the split irqchip.
case "$accel" in
auto)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi ;;
tcg|kvm) ;;
*) usage ;;
esac
machine=q35
[ "$accel" = kvm ] && machine=q35,kernel-irqchip=split

# no_timer_check: on a loaded host TCG can miss the boot's short IO-APIC
# timer probe, which then panics ("timer doesn't work through
# Interrupt-remapped IO-APIC", seen twice at load 10); the clock works.
# Single-threaded TCG unless asked otherwise.  QEMU 7.2's multi-threaded
# TCG loses MMIO accesses of one vCPU while another changes the memory map
# (a BAR's decode toggled, a function reset or put in D3hot): under
# vfio_concurrency_test edu's ID register read 0 now and then, and the
# guest hung, both drivers alike, with the local APIC timer vector in
# service and never EOIed (the guest runs xAPIC, so an EOI is an MMIO
# write).  Measured: 3 hangs in 4 multi-threaded runs, none in single.
if [ -z "$tcg_thread" ]; then
	tcg_thread=single
	[ "$mode" = bench ] && tcg_thread=multi
fi
accel_opts=$accel
[ "$accel" = tcg ] && accel_opts="tcg,thread=$tcg_thread"
qemu=(qemu-system-x86_64 -accel "$accel_opts" -M "$machine" -cpu max -m 2G -smp 2
	-nodefaults -no-reboot -display none -vga none -net none
	-device intel-iommu,intremap=on
	"${zoo_args[@]}"
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot,addr=10.0"
	-fsdev "local,id=run,path=$run,security_model=none"
	-device "virtio-9p-pci,fsdev=run,mount_tag=run,addr=11.0"
	-monitor "unix:$run/monitor.sock,server=on,wait=off"
	-kernel "$kernel" -initrd "$initrd"
	-append "console=ttyS0 quiet intel_iommu=on panic=-1 kfence.sample_interval=1 log_buf_len=4M no_timer_check vfio_vm.run=$run$append")

qpid= chpid= tpid=
cleanup()
{
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$chpid" ] && kill "$chpid" 2>/dev/null
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The guest's requests to the monitor (AER injection, hot-unplug): see
# host-channel.sh.  It stops by itself when QEMU or this script is gone.
start_host_channel()
{
	"$here/host-channel.sh" "$run/host" "$run/monitor.sock" "$here/zoo" "$@" \
		</dev/null >/dev/null 2>&1 &
	chpid=$!
}

# The VM's time limit, counted in 5 s sleeps rather than by the clock: a
# host that is paused (a suspended machine, a stopped CI runner) loses a
# sleep, not the whole limit, and QEMU goes on once it is back.  At the
# limit the guest's CPU state goes to $run/vm-timeout (where a guest that
# stopped printing is looping), then QEMU is killed.  A guest that has not
# reached guest.sh (which creates $run/results first) within $boot_timeout
# is stopped the same way into $run/vm-noboot.
vm_timer()
{
	local pid=$1 t=0 out=vm-timeout

	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		t=$((t + 5))
		[ "$t" -ge "$vm_timeout" ] && break
		if [ "$t" -ge "$boot_timeout" ] && [ ! -e "$run/results" ]; then
			out=vm-noboot
			break
		fi
	done
	kill -0 "$pid" 2>/dev/null || return 0
	printf 'info registers -a\ninfo cpus\n' |
		timeout 10 socat -t 2 - "UNIX-CONNECT:$run/monitor.sock" 2>&1 |
		grep -av -e '^(qemu)' -e '^QEMU .* monitor' > "$run/$out"
	kill -TERM "$pid"
	sleep 10
	kill -KILL "$pid" 2>/dev/null
	return 0
}

boot_vm()
{
	"${qemu[@]}" -serial stdio < /dev/null > >(tee "$run/console.log") 2>&1 &
	qpid=$!
	start_host_channel $$ "$qpid"
	vm_timer "$qpid" &
	tpid=$!
	wait "$qpid" || true
	qpid=
	kill "$tpid" "$chpid" 2>/dev/null || true
	wait "$tpid" || true
	chpid= tpid=
}

start=$(date +%s)
echo "vm: $rel ($accel_opts), lanes: $lanes, mode: $mode, logs: $run"
mkdir -p "$run/host"
if [ "$mode" = shell ]; then
	start_host_channel $$
	# The serial console on this terminal; Ctrl-A x also quits QEMU.
	timeout --foreground -k 10 "$vm_timeout" "${qemu[@]}" -serial mon:stdio || true
else
	boot_vm
	# A guest that never reached userspace ran nothing of ours; its
	# console is kept and it is booted once more.  (Seen on the debug
	# kernel on a loaded host: a KASAN report in handle_edge_irq during
	# identify_cpu at 5 ms of boot, then a hang.)
	if [ -e "$run/vm-noboot" ]; then
		mv "$run/console.log" "$run/console-noboot.log"
		echo "vm: the guest did not reach userspace in ${boot_timeout}s; console kept as $run/console-noboot.log; booting again"
		boot_vm
		keep=1
	fi
	if [ -e "$run/vm-timeout" ]; then
		echo "vm: QEMU killed after ${vm_timeout}s; its CPUs then: $run/vm-timeout"
	fi
fi
elapsed=$(( $(date +%s) - start ))

# ---- the count -----------------------------------------------------------
results=$run/results
touch "$results"
passed=$(grep -c '^pass ' "$results" || true)
failed=$(grep -c '^fail ' "$results" || true)
skipped=$(grep -c '^skip ' "$results" || true)
if ! grep -qx done "$results"; then
	echo "not ok vm_finished # the guest did not finish (crash, panic or timeout); see $run/console.log"
	failed=$((failed + 1))
fi
if [ "$mode" = check ] && [ "$failed" = 0 ] && [ "$passed" = 0 ]; then
	echo "not ok tests_ran # no result at all"
	failed=1
fi
[ -e "$run/console.log" ] && cp "$run/console.log" "$VM_CACHE/last-console.log"
if [ "$mode" = bench ]; then
	mkdir -p "$bench_dir"
	for lane in $lanes; do
		rm -f "$bench_dir/$lane.csv" "$bench_dir"/profile-"$lane"-*.txt
		if [ -s "$run/bench-$lane.csv" ]; then
			cp "$run/bench-$lane.csv" "$bench_dir/$lane.csv"
		else
			echo "not ok bench_$lane # no figures from the $lane lane"
			failed=$((failed + 1))
		fi
		for f in "$run"/profile-"$lane"-*.txt; do
			[ -e "$f" ] && cp "$f" "$bench_dir/"
		done
	done
fi
if [ "$failed" = 0 ] && [ -z "$keep" ] && [ "$mode" != shell ]; then
	rm -rf "$run"
	echo "vm: ${elapsed}s; console log in $VM_CACHE/last-console.log"
else
	echo "vm: ${elapsed}s; logs in $run"
fi
echo "$passed passed, $failed failed, $skipped skipped"
# Keep only the last few finished runs; a run without the mark may still be
# going on in another shell (or died a day ago and may go too).
[ -d "$run" ] && touch "$run/finished"
for d in $(find "$VM_CACHE/runs" -mindepth 1 -maxdepth 1 -type d | sort | head -n -10); do
	if [ -e "$d/finished" ] || [ -n "$(find "$d" -maxdepth 0 -mmin +1440)" ]; then
		rm -rf "$d"
	fi
done
[ "$failed" = 0 ]
