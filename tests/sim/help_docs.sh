#!/bin/bash
# SPDX-License-Identifier: MIT
# The generated man page renders without a warning and documents every
# command and flag; the bash completion completes commands, subcommands
# and flags as a user at a prompt would see them.
#
#   tests/sim/help_docs.sh ZPCISIM MAN_PAGE COMPLETION
set -euo pipefail
zpcisim=$1 man_page=$2 completion=$3
fail() { echo "help_docs: FAIL: $*" >&2; exit 1; }
export SC_COPYRIGHT_MESSAGE=DISABLE

if command -v groff >/dev/null; then
	warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1)
	[ -z "$warnings" ] || fail "groff warns: $warnings"
	text=$(groff -man -Tutf8 "$man_page" 2>/dev/null | sed 's/.\x08//g')
	for c in replay compare sweep "sweep collect" "trace gen" "config dump" walk serve; do
		grep -q "zpcisim $c" <<<"$text" || fail "the man page has no section for '$c'"
	done
	grep -q -- "--stats-json" <<<"$text" || fail "the man page lacks replay's --stats-json"
else
	echo "help_docs: groff not installed; the man page is checked for sections only" >&2
	grep -q '^\.SS "zpcisim trace gen"$' "$man_page" || fail "no section for trace gen"
fi

# shellcheck source=/dev/null
source "$completion"
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_zpcisim
	echo "${COMPREPLY[*]}"
}
[ "$(complete_words zpcisim sw)" = "sweep" ] || fail "'zpcisim sw': $(complete_words zpcisim sw)"
[ "$(complete_words zpcisim trace g)" = "gen" ] || fail "'trace g': $(complete_words zpcisim trace g)"
[ "$(complete_words zpcisim replay t.ztr --stats)" = "--stats-json" ] ||
	fail "'replay --stats': $(complete_words zpcisim replay t.ztr --stats)"
[ "$(complete_words zpcisim trace gen net out.ztb --rec)" = "--records" ] ||
	fail "'trace gen --rec': $(complete_words zpcisim trace gen net out.ztb --rec)"
[ "$(complete_words zpcisim sweep col)" = "collect" ] || fail "'sweep col'"
cd "$(dirname "$man_page")"
[ "$(complete_words zpcisim replay zpcisim. | tr ' ' '\n' | sort | xargs)" = "zpcisim.1 zpcisim.bash" ] ||
	fail "a trace argument does not complete to files: $(complete_words zpcisim replay zpcisim.)"
echo "help_docs: ok"
