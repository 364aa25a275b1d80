#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the test VM (chrooted into the host's root, see init): loads a
# lane's modules (ours or the reference), binds the device zoo to vfio-pci,
# runs the test programs, unbinds and unloads, and checks the kernel log.
#
# Every result goes to the console and, one line each, to $run/results
# ("pass|fail|skip <lane> <name>"), which the host runner counts.  The last
# line written there is "done": without it the host knows the guest died.
set -u

run=$1
# shellcheck source=/dev/null
. "$run/config"

tests_dir=$VM_REPO/tools/testing/selftests/vfio
# Where our modules come from: the repository's build for Debian's kernel,
# or (run.sh --modules) a build for another kernel laid out the same way.
VM_MODULES=${VM_MODULES:-$VM_REPO}
results=$run/results
: > "$results"
# Tests may leave files for later lanes here (the differential tests record
# the reference's view in its lane and compare ours against it).
export VFIO_TEST_ARTIFACTS=$run/artifacts
mkdir -p "$VFIO_TEST_ARTIFACTS"
# The per-program time limit, for programs that must not be cut off half-way
# (run_tests sets it per program; see prog_timeout).
export VFIO_TEST_TIMEOUT=$VM_TIMEOUT
# Requests to the host side (AER injection, hot-unplug): host-channel.sh.
[ -n "${VM_HOST_CHANNEL:-}" ] && export VFIO_TEST_HOST_CHANNEL=$VM_HOST_CHANNEL
# Extra settings for the tests (run.sh --env NAME=VALUE).
for assignment in ${VM_ENV:-}; do
	export "${assignment?}"
done
# make stress: a task blocked this long is reported (and fails the lane's
# log check) for the whole run, not only while a robustness test runs.
if [ -n "${VFIO_HUNG_TASK_SECS:-}" ]; then
	echo "$VFIO_HUNG_TASK_SECS" > /proc/sys/kernel/hung_task_timeout_secs
	echo "# hung_task_timeout_secs $(cat /proc/sys/kernel/hung_task_timeout_secs)"
fi

# What tick() reads: a FIFO open for reading and writing never ends.
mkfifo /tmp/vfio-vm-tick && exec {tick_fd}<> /tmp/vfio-vm-tick
# Only emergencies on the console; the log itself is read from dmesg.
dmesg -n 1
ulimit -l unlimited
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# devtmpfs has no /dev/fd and /dev/std*: on a real system udev makes them.
# Without /dev/fd, bash's <(...) fails, and DKMS, which relies on it, goes
# on with empty answers instead of failing.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for fd in 0:stdin 1:stdout 2:stderr; do
	[ -e "/dev/${fd#*:}" ] || ln -s "/proc/self/fd/${fd%%:*}" "/dev/${fd#*:}"
done

# The tests load the test-only modules, and some of ours, by paths next to
# their programs in the repository.  With modules built for another kernel
# (the debug lane), put those over the repository's in this guest's overlay
# (the host's work tree and its stock build stay as they are).
if [ "$VM_MODULES" != "$VM_REPO" ]; then
	(cd "$VM_MODULES" && find . -name '*.ko') | while read -r ko; do
		mkdir -p "$(dirname "$VM_REPO/$ko")"
		cp "$VM_MODULES/$ko" "$VM_REPO/$ko" ||
			echo "# cannot put $ko over the repository's"
	done
fi

# debugfs for kmemleak (and the tests' fault injection) where the kernel
# has them; the stock kernel's debugfs is simply mounted too.
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

# Where the current lane's kernel log starts (dmesg lines; see run_lane).
lane_log_from=0
# Log lines that fail a run whatever the tests said.  The debug kernel's
# reports are mostly "BUG:" (KASAN, sleeping in atomic context) or
# "WARNING:" (lockdep, RCU) already; they are named too, so that a change
# of wording there does not silently pass.  Lockdep turns itself off after
# its first report: lockdep_still_on (check_lockdep) notices.
BAD_LOG='WARNING:|BUG:|kernel BUG|Oops|KFENCE:|general protection|soft lockup|hard LOCKUP|hung_task|blocked for more than|rcu_.*stall|UBSAN:|list_add corruption|list_del corruption|refcount_t:|Kernel panic|Call Trace:'
BAD_LOG="$BAD_LOG|KASAN:|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|turning off the locking correctness validator|MAX_LOCKDEP"
# Taint flags our modules are expected to set: O (out of tree), E (unsigned).
TAINT_OK=$((4096 | 8192))

result()	# pass|fail|skip lane name [comment]
{
	local status=$1 lane=$2 name=$3 comment=${4:-}
	local word=ok

	[ "$status" = fail ] && word="not ok"
	[ "$status" = skip ] && comment="# SKIP $comment"
	echo "[$lane] $word $name${comment:+ $comment}"
	echo "$status $lane $name" >> "$results"
}

zoo_bdfs()
{
	awk '!/^#/ && NF >= 3 && $1 != "-" { print $1 }' "$VM_REPO/tools/testing/vm/zoo"
}

driver_of()
{
	local link=/sys/bus/pci/devices/$1/driver

	[ -e "$link" ] && basename "$(readlink -f "$link")"
}

bind_vfio()
{
	local bdf=$1 dev=/sys/bus/pci/devices/$1

	echo vfio-pci > "$dev/driver_override" || return 1
	if [ -e "$dev/driver" ] && [ "$(driver_of "$bdf")" != vfio-pci ]; then
		echo "$bdf" > "$dev/driver/unbind" || return 1
	fi
	[ -e "$dev/driver" ] || echo "$bdf" > /sys/bus/pci/drivers_probe
	[ "$(driver_of "$bdf")" = vfio-pci ]
}

unbind_vfio()
{
	local bdf=$1 dev=/sys/bus/pci/devices/$1 w i=0

	if [ "$(driver_of "$bdf")" = vfio-pci ]; then
		# The unbind waits while the device is open: never for ever.
		echo "$bdf" > "$dev/driver/unbind" &
		w=$!
		while kill -0 "$w" 2>/dev/null && [ "$i" -lt 60 ]; do
			sleep 1
			i=$((i + 1))
		done
		if kill -0 "$w" 2>/dev/null; then
			echo "# unbind of $bdf still waiting after 60 s; the writer's stack:"
			sed 's/^/#   /' "/proc/$w/stack" 2>/dev/null
			return 1
		fi
		wait "$w" || return 1
	fi
	echo > "$dev/driver_override"
}

# The stock VFIO core modules, then the lane's vfio-pci-core and vfio-pci.
load_lane()
{
	modprobe -a vfio vfio_iommu_type1 irqbypass || return 1
	case "$1" in
	ours)
		insmod "$VM_MODULES/vfio-pci-core.ko" &&
			insmod "$VM_MODULES/vfio-pci.ko"
		;;
	reference)
		modprobe vfio-pci
		;;
	esac
}

# Binds every zoo function (or just $VM_DEVICE); one result for all.
bind_zoo()
{
	local lane=$1 bdf bad=

	for bdf in ${VM_DEVICE:-$(zoo_bdfs)}; do
		if [ ! -e "/sys/bus/pci/devices/$bdf" ]; then
			bad="$bad $bdf(absent)"
		elif ! bind_vfio "$bdf"; then
			bad="$bad $bdf($(driver_of "$bdf"))"
		fi
	done
	if [ -n "$bad" ]; then
		echo "[$lane] # not bound to vfio-pci:$bad"
		result fail "$lane" zoo_binds_to_vfio_pci
		return 1
	fi
	result pass "$lane" zoo_binds_to_vfio_pci
}

# Processes other than us that hold a VFIO container, group or device fd.
vfio_holders()
{
	local p

	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		if ls -l "$p/fd" 2>/dev/null | grep -q -e ' /dev/vfio/' -e 'vfio-device'; then
			echo "${p#/proc/}"
		fi
	done
}

unload_lane()
{
	local lane=$1 bdf bad= holders p

	# A device still open would make its unbind wait for ever: name the
	# process, fail, and kill it so that the run goes on.
	holders=$(vfio_holders)
	if [ -n "$holders" ]; then
		for p in $holders; do
			echo "[$lane] # pid $p still holds a VFIO fd: $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)"
		done
		result fail "$lane" no_process_left_holding_vfio
		kill -9 $holders 2>/dev/null
		sleep 1
	else
		result pass "$lane" no_process_left_holding_vfio
	fi

	for bdf in $(zoo_bdfs); do
		unbind_vfio "$bdf" || bad="$bad $bdf"
	done
	[ -n "$bad" ] && echo "[$lane] # unbind failed:$bad"
	if [ -z "$bad" ] && rmmod vfio_pci vfio_pci_core; then
		result pass "$lane" module_unloads_after_unbind
	else
		lsmod | grep vfio | sed "s/^/[$lane] # /"
		result fail "$lane" module_unloads_after_unbind
	fi
}

# Counts one program's TAP output (top-level lines only) into results.
count_tap()
{
	local lane=$1 name=$2 out=$3 rc=$4 counts planned seen p f s

	counts=$(awk '
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; hasplan = 1;
				 if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) skipall = 1; next }
		/^not ok/ { f++; n++; next }
		/^ok/ { if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) s++; else p++; n++; next }
		END { printf "%d %d %d %d %d %d\n", p, f, s, n, hasplan ? plan : -1, skipall }
	' "$out")
	read -r p f s seen planned skipall <<< "$counts"

	local i
	for ((i = 0; i < p; i++)); do echo "pass $lane $name" >> "$results"; done
	for ((i = 0; i < f; i++)); do echo "fail $lane $name" >> "$results"; done
	for ((i = 0; i < s; i++)); do echo "skip $lane $name" >> "$results"; done

	if [ "$planned" = 0 ] && [ "$skipall" = 1 ]; then
		result skip "$lane" "$name" "$(sed -n 's/^1\.\.0 *# *[Ss][Kk][Ii][Pp] *//p' "$out")"
		return
	fi
	if [ "$rc" = 143 ] || [ "$rc" = 137 ]; then
		result fail "$lane" "$name" "# timed out after ${limit:-$VM_TIMEOUT}s"
	elif [ "$planned" = -1 ]; then
		result fail "$lane" "$name" "# printed no TAP plan (exit $rc)"
	elif [ "$seen" != "$planned" ]; then
		result fail "$lane" "$name" "# planned $planned results, printed $seen (exit $rc)"
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		result fail "$lane" "$name" "# exited $rc with no failed case"
	else
		echo "[$lane] # $name: $p passed, $f failed, $s skipped"
	fi
}

# A program's time limit: the runner's, or more where the selftests'
# "timeouts" file asks for more (programs that install modules run depmod,
# which takes half a minute of TCG each time).
prog_timeout()
{
	local want

	want=$(awk -v n="$1" '$1 == n { print $2 }' "$tests_dir/timeouts" 2>/dev/null)
	if [ -n "$want" ] && [ "$want" -gt "$VM_TIMEOUT" ]; then
		echo "$want"
	else
		echo "$VM_TIMEOUT"
	fi
}

# Tasks in uninterruptible sleep, and every task of the program $1 (its
# process group), with their kernel stacks.
stuck_tasks()
{
	local pgid=$1 p pid stat state group

	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		stat=${stat##*) }
		read -r state _ group _ <<< "$stat"
		[ "$state" = D ] || [ "$group" = "$pgid" ] || continue
		echo "pid $pid ($(cat "$p/comm" 2>/dev/null)) state $state:"
		sed 's/^/    /' "$p/stack" 2>/dev/null
	done
}

# One second of the guest's running time, without a fork: a read that
# never gets data.  Limits count these ticks rather than clock time, so a
# host that was paused (the guest's clock then jumps by the pause) costs a
# tick, not a program's whole limit.
tick()
{
	read -r -t 1 -u "$tick_fd" _
}

# The timer of one program, started in the background next to it ($3, the
# leader of its own process group): after $4 ticks SIGTERM to the group,
# 5 later SIGKILL (the program then ends with 128+signal), and 30 after
# the limit a program still there is stuck in the kernel (uninterruptible
# sleep, or a loop that never looks at signals).  Waiting for it would only
# run into the host's VM timeout with nothing said: the console shows only
# emergencies and the lane's log is read at its end.  So print the stuck
# tasks' stacks and the kernel log (with sysrq's blocked-task and all-CPU
# dumps) now, record the failure, and power the guest off.
prog_timer()
{
	local lane=$1 name=$2 pid=$3 limit=$4 t=0

	while kill -0 "$pid" 2>/dev/null; do
		tick
		t=$((t + 1))
		case $t in
		"$limit") kill -TERM -- -"$pid" 2>/dev/null ;;
		"$((limit + 5))") kill -KILL -- -"$pid" 2>/dev/null ;;
		"$((limit + 30))") break ;;
		esac
	done
	kill -0 "$pid" 2>/dev/null || exit 0
	echo "[$lane] # $name still there 30 s after its ${limit}s limit and SIGKILL: stuck in the kernel"
	stuck_tasks "$pid" 2>&1 | sed "s/^/[$lane] #   /"
	echo 1 > /proc/sys/kernel/sysrq
	echo w > /proc/sysrq-trigger
	echo l > /proc/sysrq-trigger
	sleep 2
	dmesg | tail -n +"$((lane_log_from + 1))" > "$run/$lane.dmesg"
	echo "[$lane] # the lane's kernel log, last 150 lines (all of it in $run/$lane.dmesg):"
	tail -n 150 "$run/$lane.dmesg" | sed "s/^/[$lane] #   /"
	result fail "$lane" "$name" "# stuck in the kernel after its ${limit}s limit; the run stops here"
	echo done >> "$results"
	echo o > /proc/sysrq-trigger
	exit 0
}

# Whether VM_TEST (one name, or several separated by commas) selects $1.
selected()
{
	[ -z "$VM_TEST" ] || [[ ",$VM_TEST," == *",$1,"* ]]
}

# Runs one program under its timer (prog_timer), stdout and stderr to $5,
# in its own process group (setsid, after the wrapper command in $6...);
# returns its exit status.
run_prog()
{
	local lane=$1 name=$2 prog=$3 limit=$4 out=$5 tpid wpid rc
	shift 5

	(
		cd "$tests_dir" || exit 1
		VFIO_TEST_DRIVER=$lane VFIO_TEST_DEVICE=$VM_DEVICE \
			VFIO_TEST_TIMEOUT=$limit \
			exec setsid "$@" "$prog"
	) > "$out" 2>&1 < /dev/null &
	tpid=$!
	prog_timer "$lane" "$name" "$tpid" "$limit" &
	wpid=$!
	wait "$tpid"
	rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid"
	return "$rc"
}

# The installer tests (make install, DKMS) spend ten minutes of TCG in
# depmod over the whole module tree and in a module build, and touch only
# files: they run in the background from boot, at once and while the lanes
# run, each with private copies of the directories it writes
# (private-fs.sh), niced below the lanes' programs.  Ours only (the reference lane skips them);
# the ours lane reports them at its end (finish_background).
BACKGROUND_TESTS="vfio_install_test vfio_dkms_test"
background=

start_background()
{
	local name prog

	[[ " $VM_DRIVERS " == *" ours "* ]] || return 0
	# Only when named: single-threaded TCG leaves them too little beside
	# the lanes for CI's 30 minutes (make check-install runs them).
	[ -n "$VM_TEST" ] || return 0
	for name in $BACKGROUND_TESTS; do
		prog=$tests_dir/$name
		[ -x "$prog" ] && selected "$name" && background="$background $name"
	done
	[ -n "$background" ] || return 0
	echo "[ours] # started in the background:$background"
	for name in $background; do
		(
			run_prog ours "$name" "$tests_dir/$name" \
				"$(prog_timeout "$name")" "$run/ours.$name.tap" \
				nice -n 10 unshare -m --propagation private \
				"$VM_REPO/tools/testing/vm/private-fs.sh" "$VM_REPO"
			echo "$?" > "$run/ours.$name.rc"
		) &
	done
}

# The background programs' results, once each has ended.
finish_background()
{
	local lane=$1 name out limit rc

	for name in $background; do
		out=$run/$lane.$name.tap
		limit=$(prog_timeout "$name")
		echo "[$lane] # $name (run in the background since boot)"
		while [ ! -s "$run/$lane.$name.rc" ]; do
			tick
		done
		rc=$(cat "$run/$lane.$name.rc")
		sed "s/^/[$lane] /" "$out"
		count_tap "$lane" "$name" "$out" "$rc"
	done
}

run_tests()
{
	local lane=$1 prog name out rc found= limit t0

	for prog in "$tests_dir"/*_test; do
		[ -x "$prog" ] || continue
		name=$(basename "$prog")
		selected "$name" || continue
		found=1
		if [ "$lane" = ours ] && [[ " $background " == *" $name "* ]]; then
			continue
		fi
		if [ -z "$VM_TEST" ] && [[ " $BACKGROUND_TESTS " == *" $name "* ]]; then
			result skip "$lane" "$name" "10+ minutes of depmod and a DKMS build under TCG: make check-install runs it"
			continue
		fi
		out=$run/$lane.$name.tap
		limit=$(prog_timeout "$name")
		echo "[$lane] # running $name"
		t0=$SECONDS
		run_prog "$lane" "$name" "$prog" "$limit" "$out"
		rc=$?
		sed "s/^/[$lane] /" "$out"
		count_tap "$lane" "$name" "$out" "$rc"
		# For setting limits: the debug kernel is several times slower.
		echo "[$lane] # $name took $((SECONDS - t0)) s (limit ${limit} s)"
	done
	[ "$lane" = ours ] && finish_background "$lane"
	[ -n "$found" ] || result fail "$lane" "${VM_TEST:-selftests}" "# no such test program in $tests_dir"
}

# The kernel log of one lane: everything printed since $1 lines in.
check_log()
{
	local lane=$1 from=$2 taint0=$3 taint log

	log=$run/$lane.dmesg

	dmesg | tail -n +"$((from + 1))" > "$log"
	taint=$(cat /proc/sys/kernel/tainted)
	if grep -Eq "$BAD_LOG" "$log"; then
		grep -E -m 20 "$BAD_LOG" "$log" | sed "s/^/[$lane] # /"
		result fail "$lane" guest_kernel_log_clean "# see $log"
	elif (( (taint & ~taint0) & ~TAINT_OK )); then
		echo "[$lane] # kernel taint went from $taint0 to $taint"
		result fail "$lane" guest_kernel_log_clean "# tainted $taint"
	else
		result pass "$lane" guest_kernel_log_clean
	fi
}

# Lockdep's state (1 while it checks, 0 once it has turned itself off),
# empty on a kernel without lockdep.
debug_locks()
{
	awk '$1 == "debug_locks:" { print $2 }' /proc/lockdep_stats 2>/dev/null
}

# Lockdep stops at its first report (or when its tables overflow), and
# everything after goes unchecked.  The report itself fails the lane that
# printed it (check_log); this says which lane turned lockdep off, and that
# a later lane ran without it.  Only on a kernel with lockdep.
check_lockdep()
{
	local lane=$1 before=$2 after

	after=$(debug_locks)
	[ -n "$before" ] && [ -n "$after" ] || return 0
	if [ "$before" = 0 ]; then
		result skip "$lane" lockdep_still_on "lockdep was already off when the lane began (an earlier lane's report)"
	elif [ "$after" = 0 ]; then
		echo "[$lane] # lockdep turned itself off during this lane (debug_locks 0); its report is in $run/$lane.dmesg"
		result fail "$lane" lockdep_still_on
	else
		result pass "$lane" lockdep_still_on
	fi
}

KMEMLEAK=/sys/kernel/debug/kmemleak

# The symbols of the lane's modules while they are loaded: kmemleak prints
# a frame of a module that has been unloaded since as a bare address, and
# this is how the report can still name it.
save_module_symbols()
{
	[ -e "$KMEMLEAK" ] || return 0
	grep -E '\[(vfio|edu_vfio|mlx5_vfio)[a-z0-9_]*\]$' /proc/kallsyms > "$run/$1.kallsyms" 2>/dev/null
}

# kmemleak at the end of a lane, after its modules are gone (a leak in
# remove or module exit counts too).  Two scans 5 s apart: kmemleak reports
# an object only when it was unreferenced, unchanged and older than 5 s at
# two scans.  The reports are then cleared, so the next lane sees only its
# own.
#
# What fails the lane: a report whose allocation backtrace has a frame in
# VFIO code (a symbol or module name with "vfio") or in a module that is no
# longer loaded (a bare address: the lane's modules, or a test module).
# Leaks elsewhere (boot, 9p, the network stack) are listed but are nobody's
# lane, so the reference's own leaks fail the reference lane and never
# ours.  Only on a kernel with kmemleak.
check_kmemleak()
{
	local lane=$1 out ours all

	out=$run/$lane.kmemleak

	[ -e "$KMEMLEAK" ] || return 0
	if ! { echo scan > "$KMEMLEAK" && sleep 5 && echo scan > "$KMEMLEAK"; } 2>/dev/null; then
		echo "[$lane] # kmemleak does not scan (turned off? see $run/$lane.dmesg)"
		result fail "$lane" no_kmemleak_report_in_vfio "# kmemleak is off"
		return
	fi
	# One report a paragraph, "unreferenced object ..." up to the next; its
	# frames are the lines after "  backtrace (crc ...):", each a symbol
	# (with its [module]) or, for a module unloaded since, a bare address,
	# which gets its symbol back from the lane's saved ones.
	awk -v syms="$run/$lane.kallsyms" '
		# The low 32 bits: all module addresses share the high ones,
		# and awk counts in doubles, exact only to 2^53.
		function hex(s,   i, v) {
			v = 0; s = tolower(s); sub(/^0x/, "", s)
			if (length(s) > 8) s = substr(s, length(s) - 7)
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		BEGIN {
			while ((getline l < syms) > 0) {
				split(l, f, " "); n++; a[n] = hex(f[1]); name[n] = f[3] " " f[4]
			}
		}
		/^unreferenced object/ { bt = 0 }
		/^  backtrace/ { bt = 1 }
		bt && /^ +0x[0-9a-f]+$/ {
			x = hex($1); best = 0
			for (i = 1; i <= n; i++)
				if (a[i] <= x && (best == 0 || a[i] > a[best])) best = i
			if (best && x - a[best] < 65536)
				$0 = $0 sprintf(" (unloaded: %s+0x%x)", name[best], x - a[best])
		}
		{ print }
	' "$KMEMLEAK" > "$out"
	echo clear > "$KMEMLEAK"
	# Marks each report (a line "= vfio" or "= other" before it) and counts.
	awk '
		function flush() { if (rec != "") print "= " (hit ? "vfio" : "other") "\n" rec }
		/^unreferenced object/ { flush(); rec = ""; hit = 0; bt = 0 }
		/^  backtrace/ { bt = 1; rec = rec $0 "\n"; next }
		bt && /^    / && (/vfio/ || /^ +0x[0-9a-f]+( |$)/) { hit = 1 }
		{ rec = rec $0 "\n" }
		END { flush() }
	' "$out" > "$out.marked"
	all=$(grep -c '^= ' "$out.marked")
	ours=$(grep -c '^= vfio' "$out.marked")
	if [ "$all" -gt 0 ]; then
		echo "[$lane] # kmemleak: $all unreferenced objects, $ours of them with VFIO or unloaded-module frames ($out)"
	fi
	if [ "$ours" -gt 0 ]; then
		awk '/^= / { keep = ($2 == "vfio"); next } keep' "$out.marked" |
			head -n 60 | sed "s/^/[$lane] # /"
		result fail "$lane" no_kmemleak_report_in_vfio "# $ours leak reports, see $out"
	else
		result pass "$lane" no_kmemleak_report_in_vfio
	fi
}

run_lane()
{
	local lane=$1 from taint0 locks0 t0 lane_t0=$SECONDS

	from=$(dmesg | wc -l)
	lane_log_from=$from
	taint0=$(cat /proc/sys/kernel/tainted)
	locks0=$(debug_locks)
	echo "[$lane] # lane $lane: $(uname -r), guest up $(cut -d' ' -f1 /proc/uptime) s"
	if load_lane "$lane"; then
		result pass "$lane" module_loads
		save_module_symbols "$lane"
		bind_zoo "$lane" && run_tests "$lane"
		t0=$SECONDS
		unload_lane "$lane"
		echo "[$lane] # unbinding and unloading took $((SECONDS - t0)) s"
	else
		result fail "$lane" module_loads
	fi
	t0=$SECONDS
	check_kmemleak "$lane"
	[ -e "$KMEMLEAK" ] && echo "[$lane] # kmemleak scans took $((SECONDS - t0)) s"
	check_lockdep "$lane" "$locks0"
	check_log "$lane" "$from" "$taint0"
	echo "[$lane] # lane took $((SECONDS - lane_t0)) s"
}

demo()
{
	local edu nvme

	edu=$(awk '$2 == "edu" { print $1; exit }' "$VM_REPO/tools/testing/vm/zoo")
	nvme=$(awk '$2 == "nvme" { print $1; exit }' "$VM_REPO/tools/testing/vm/zoo")
	echo "demo: loading our vfio-pci-core.ko and vfio-pci.ko"
	load_lane ours || { result fail ours module_loads; return; }
	for bdf in "$edu" "$nvme"; do
		bind_vfio "$bdf" || { result fail ours "binds_$bdf"; return; }
		echo "demo: $bdf ($(cat /sys/bus/pci/devices/$bdf/vendor):$(cat /sys/bus/pci/devices/$bdf/device)) -> vfio-pci, group $(basename "$(readlink /sys/bus/pci/devices/$bdf/iommu_group)")"
	done
	echo
	echo "demo: a VFIO client on the edu device (BAR0 mmap, registers, config space)"
	if "$tests_dir/vfio_demo" "$edu"; then
		result pass ours demo_vfio_client_on_edu
	else
		result fail ours demo_vfio_client_on_edu
	fi
	echo
	echo "demo: QEMU's userspace NVMe driver through VFIO: write 1 MiB, read it back"
	# QEMU 7.2's userspace NVMe driver sometimes never polls its interrupt
	# eventfd and waits forever (seen on the reference driver as often as
	# on ours: the eventfd holds the count, the main loop does not watch
	# it; runs of three or four hangs in a row happen).  Give each try 20 s
	# and try again, up to ten times.
	for try in 1 2 3 4 5 6 7 8 9 10; do
		if timeout -k 2 20 qemu-io -f raw -c 'write -P 0xab 0 1M' \
			-c 'read -P 0xab 0 1M' "nvme://$nvme/1" < /dev/null; then
			result pass ours demo_qemu_nvme_through_vfio
			break
		fi
		echo "demo: qemu-io try $try did not finish (QEMU-side hang, see guest.sh); again"
		[ "$try" = 10 ] && result fail ours demo_qemu_nvme_through_vfio
	done
	unload_lane ours
}

# Where the time of one vfio_bench path goes: perf samples (cpu-clock, with
# call chains) of a short run of that path alone, reported inclusive of
# callees (how much is the syscall, the VFIO core, our code, the emulated
# hardware access) and by the function that was running.
profile_path()
{
	local lane=$1 path=$2
	local data=/tmp/perf-$lane-$path.data
	local txt=$run/profile-$lane-$path.txt

	echo "[$lane] # profiling $path"
	if ! (cd "$VM_REPO/tools/testing/bench" && VFIO_TEST_DRIVER=$lane \
		timeout -k 5 "$VM_TIMEOUT" perf record -q -g -e cpu-clock -F 4000 \
		-o "$data" -- ./vfio_bench --only "$path" --reps 3) > /dev/null 2>&1; then
		echo "[$lane] # profiling $path failed"
		return
	fi
	{
		echo "# $lane: vfio_bench --only $path --reps 3, perf cpu-clock samples"
		echo "# ---- inclusive of callees (children), top symbols"
		perf report -i "$data" --stdio --children --sort sym -g none \
			--percent-limit 2 2>/dev/null | grep -v '^$'
		echo "# ---- by the function running (self)"
		perf report -i "$data" --stdio --no-children --sort dso,sym -g none \
			--percent-limit 1 2>/dev/null | grep -v '^$'
	} > "$txt"
	rm -f "$data"
}

# vfio_bench on the lane's driver: figures, no test; its CSV goes to
# $run/bench-<lane>.csv for the host (see run.sh --bench).
bench_lane()
{
	local lane=$1 from taint0 rc

	from=$(dmesg | wc -l)
	taint0=$(cat /proc/sys/kernel/tainted)
	echo "[$lane] # lane $lane: $(uname -r)"
	if load_lane "$lane"; then
		result pass "$lane" module_loads
		if bind_zoo "$lane"; then
			echo "[$lane] # running vfio_bench"
			(cd "$VM_REPO/tools/testing/bench" && VFIO_TEST_DRIVER=$lane \
				timeout -k 5 "$VM_TIMEOUT" ./vfio_bench \
				--out "$run/bench-$lane.csv") 2>&1 | sed "s/^/[$lane] /"
			rc=${PIPESTATUS[0]}
			if [ "$rc" = 0 ]; then
				result pass "$lane" vfio_bench_ran
			else
				result fail "$lane" vfio_bench_ran "# exit $rc"
			fi
			for path in ${VM_PROFILE:-}; do
				profile_path "$lane" "$path"
			done
		fi
		unload_lane "$lane"
	else
		result fail "$lane" module_loads
	fi
	check_log "$lane" "$from" "$taint0"
}

case "$VM_MODE" in
bench)
	for lane in $VM_DRIVERS; do
		bench_lane "$lane"
	done
	;;
check)
	start_background
	for lane in $VM_DRIVERS; do
		run_lane "$lane"
	done
	;;
demo)
	from=$(dmesg | wc -l)
	taint0=$(cat /proc/sys/kernel/tainted)
	demo
	check_log ours "$from" "$taint0"
	;;
exec)
	lane=$VM_DRIVERS
	from=$(dmesg | wc -l)
	taint0=$(cat /proc/sys/kernel/tainted)
	if load_lane "$lane" && bind_zoo "$lane"; then
		echo "[$lane] # exec: $VM_EXEC"
		(cd "$tests_dir" && VFIO_TEST_DRIVER=$lane \
			timeout -k 5 "$VM_TIMEOUT" bash -c "$VM_EXEC")
		rc=$?
		if [ "$rc" = 0 ]; then
			result pass "$lane" exec_command
		else
			result fail "$lane" exec_command "# exit $rc"
		fi
	fi
	unload_lane "$lane"
	check_log "$lane" "$from" "$taint0"
	;;
shell)
	lane=$VM_DRIVERS
	from=$(dmesg | wc -l)
	taint0=$(cat /proc/sys/kernel/tainted)
	load_lane "$lane" && bind_zoo "$lane"
	cat <<EOF

Test VM shell: $lane vfio-pci loaded, the zoo bound to it.
  repo:   $VM_REPO (read-only under a tmpfs overlay)
  tests:  cd $tests_dir && VFIO_TEST_DRIVER=$lane ./vfio_device_info_test
  leave:  exit (the VM powers off)

EOF
	export VFIO_TEST_DRIVER=$lane
	setsid -c bash -i
	unload_lane "$lane"
	check_log "$lane" "$from" "$taint0"
	;;
esac
echo done >> "$results"
