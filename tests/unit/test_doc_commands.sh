#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# doc/vdnet.rst and vdnet cannot drift: every command in vdnet's table
# (vdnet --list-commands) is a ``usage`` entry of the page's Commands
# section and every entry there is in the table; every option of
# `vdnet --help` is documented and every documented option exists.
#   test_doc_commands.sh VDNET DOC
set -u
VDNET=$1 DOC=$2
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$VDNET" --list-commands >"$tmp/table" || { echo "FAIL: $VDNET --list-commands"; exit 1; }
[ -s "$tmp/table" ] || { echo "FAIL: empty command table"; exit 1; }
# the entries of the "Commands" section: lines that are exactly ``...``
awk '/^Commands$/ { s = 1; next } s && /^[A-Z][a-z ]+$/ { s = 0 }
     s && /^``.*``$/ { sub(/^``/, ""); sub(/``$/, ""); print }' "$DOC" >"$tmp/doc"
[ -s "$tmp/doc" ] || { echo "FAIL: no command entries in the Commands section of $DOC"; exit 1; }

while IFS= read -r c; do
	grep -Fqx -- "$c" "$tmp/doc" || { echo "FAIL: command '$c' is not documented in $DOC"; fail=1; }
done <"$tmp/table"
while IFS= read -r c; do
	grep -Fqx -- "$c" "$tmp/table" || { echo "FAIL: $DOC documents '$c', which vdnet does not have"; fail=1; }
done <"$tmp/doc"

"$VDNET" --help >"$tmp/help" || { echo "FAIL: $VDNET --help"; exit 1; }
grep -oE -- '(^|[ [|])--[a-z][a-z-]*' "$tmp/help" | grep -oE -- '--[a-z-]+' | sort -u >"$tmp/opts"
[ -s "$tmp/opts" ] || { echo "FAIL: no options in vdnet --help"; exit 1; }
awk '/^Options$/ { s = 1; next } s && /^[A-Z][a-z ]+$/ { s = 0 }
     s && /^``--/ { print }' "$DOC" | grep -oE -- '``--[a-z-]+``' | tr -d '`' | sort -u >"$tmp/docopts"
while IFS= read -r o; do
	grep -Fqx -- "$o" "$tmp/docopts" || { echo "FAIL: option $o is not documented in $DOC"; fail=1; }
done <"$tmp/opts"
while IFS= read -r o; do
	grep -Fqx -- "$o" "$tmp/opts" || { echo "FAIL: $DOC documents $o, which vdnet --help does not list"; fail=1; }
done <"$tmp/docopts"

[ $fail = 0 ] && echo "ok: $(wc -l <"$tmp/table") commands and $(wc -l <"$tmp/opts") options documented"
exit $fail
