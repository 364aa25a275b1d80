#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The host side of the channel through which a test in the guest asks for
# things only the host can do: inject an AER error, hot-unplug or re-plug a
# device of the zoo, through QEMU's HMP monitor.
#
#   host-channel.sh DIR MONITOR_SOCKET ZOO WATCH_PID...
#
# DIR is shared with the guest (9p, so both sides poll).  The guest writes
# NAME.req (one HMP command, written as NAME.req.tmp and renamed); this loop
# answers with NAME.reply, whose first line is "ok", "refused: why" or
# "error: why", followed by what the monitor printed.  Only a few commands
# pass, and only on devices of the zoo that have an id=:
#
#   pcie_aer_inject_error [-c] ID 0xHEX
#   device_del ID
#   device_add ARGS        (ARGS exactly as after -device in the zoo)
#
# The loop ends as soon as any WATCH_PID is gone (QEMU, the runner), so it
# never outlives the VM.
set -u

dir=$1 sock=$2 zoo=$3
shift 3
watch=("$@")

# The zoo's "-device ARGS" values that carry an id=, one per line.
zoo_devices()
{
	awk '!/^#/ && NF >= 3 {
		for (i = 3; i < NF; i++)
			if ($i == "-device" && $(i + 1) ~ /(^|,)id=/)
				print $(i + 1)
	}' "$zoo"
}

zoo_has_id()
{
	zoo_devices | grep -Eq "(^|,)id=$1(,|\$)"
}

# Prints why @cmd is refused, nothing when it may pass.
refusal()
{
	local cmd=$1 id

	if [[ $cmd =~ ^pcie_aer_inject_error\ (-c\ )?([A-Za-z0-9_-]+)\ 0x[0-9a-fA-F]{1,8}$ ]]; then
		id=${BASH_REMATCH[2]}
	elif [[ $cmd =~ ^device_del\ ([A-Za-z0-9_-]+)$ ]]; then
		id=${BASH_REMATCH[1]}
	elif [[ $cmd =~ ^device_add\ ([^[:space:]]+)$ ]]; then
		zoo_devices | grep -qxF -- "${BASH_REMATCH[1]}" ||
			echo "device_add arguments are not a device of the zoo"
		return
	else
		echo "not an allowed command"
		return
	fi
	zoo_has_id "$id" || echo "no device with id=$id in the zoo"
}

# Sends one command; prints the monitor's answer without the banner, the
# prompts, the echo of the command and terminal escapes.
monitor()
{
	printf '%s\n' "$1" |
		timeout 10 socat -t 1 - "UNIX-CONNECT:$sock" 2>&1 |
		sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r//g' |
		awk -v cmd="$1" '
			# The banner, bare prompts, and the line editor echoing
			# the command as it is typed (it ends with the command).
			/^QEMU [0-9.]* monitor/ || /^\(qemu\) *$/ { next }
			{ sub(/^\(qemu\) /, "") }
			length($0) >= length(cmd) &&
			    substr($0, length($0) - length(cmd) + 1) == cmd { next }
			{ print }'
	return "${PIPESTATUS[1]}"
}

alive()
{
	local pid

	for pid in "${watch[@]}"; do
		kill -0 "$pid" 2>/dev/null || return 1
	done
}

answer()
{
	local req=$1 name cmd why out

	name=${req%.req}
	cmd=$(head -n1 "$req")
	rm -f "$req"
	why=$(refusal "$cmd")
	if [ -n "$why" ]; then
		printf 'refused: %s\n' "$why" > "$name.reply.tmp"
	elif out=$(monitor "$cmd"); then
		printf 'ok\n%s\n' "$out" > "$name.reply.tmp"
	else
		printf 'error: monitor did not answer\n%s\n' "$out" > "$name.reply.tmp"
	fi
	mv "$name.reply.tmp" "$name.reply"
	echo "host-channel: $cmd -> $(head -n1 "$name.reply")" >> "$dir/log"
}

mkdir -p "$dir"
while alive; do
	for req in "$dir"/*.req; do
		[ -e "$req" ] && answer "$req"
	done
	sleep 0.1
done
