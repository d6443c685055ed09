# SPDX-License-Identifier: BSD-3-Clause
# Driving vdnet's console in a pty (tmux session "c", output piped to
# $PANE), its --socket and its telemetry, for console scenarios.  Source it
# after helpers.sh; set PANE, SOCK and TELEMETRY first.

command -v tmux >/dev/null || fail "tmux is not installed (apt-get install tmux)"

# new_output OFFSET: what the console printed since OFFSET, escapes stripped
new_output() {
	tail -c +$(($1 + 1)) "$PANE" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | tr -d '\r'
}
has_output() { new_output "$1" | grep -Eq -- "$2"; }

# con LINE REGEX: type LINE at the prompt, wait until the reply matches
con() {
	local off
	off=$(stat -c %s "$PANE")
	tmux send-keys -t c -l -- "$1"
	tmux send-keys -t c Enter
	wait_for "${CON_WAIT:-15}" has_output "$off" "$2" || {
		new_output "$off"
		fail "console: '$1' did not print /$2/"
	}
	ok "console: $1"
}

# keys KEYS... REGEX: raw keys (Tab, Enter...), wait for REGEX in what they print
keys() {
	local off re=${!#}
	off=$(stat -c %s "$PANE")
	tmux send-keys -t c "${@:1:$#-1}"
	wait_for 15 has_output "$off" "$re" || { new_output "$off"; fail "keys $*: no /$re/"; }
}

# console_start VDNET_ARGS...: vdnet -i in tmux, wait for the prompt
console_start() {
	: >"$PANE"
	tmux new-session -d -s c -x 250 -y 50 \
		"$BUILD/app/vdnet $* -i; echo vdnet-exit=\$?; sleep 600" || fail "tmux new-session"
	tmux pipe-pane -t c -o "cat >>$PANE"
	wait_for 90 has_output 0 "vdnet> " || { new_output 0; fail "no console prompt within 90s"; }
	ok "console prompt"
}

# CTL COMMAND...: one command over --socket
CTL() { "$BUILD/app/vdnet" --connect "$SOCK" "$@"; }

# json_get EXPR: evaluate a python expression over the JSON on stdin (as j)
json_get() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

# telemetry CMD: one request to vdnet's DPDK telemetry socket, JSON reply
telemetry() {
	python3 - "$TELEMETRY" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(4096))  # the greeting
s.send(sys.argv[2].encode())
print(s.recv(65536).decode())
PY
}
