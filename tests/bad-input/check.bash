# The checks of one case of the bad-input corpus (sourced by
# tests/bad-input.bats; see the README beside it).
#
# bad_case ID STATUS REJECTS COMMAND INPUT MESSAGE
# runs COMMAND on a file "in" made from INPUT, with --rejects and --stats,
# and checks: the exit status; a message "TOOL: in:N: " for every rejected
# record and nothing else on stderr but the counts and a fatal error's
# reason; MESSAGE (an ERE) matched by the first message; --rejects holding
# exactly the rejected lines, byte for byte; and the accounting: lines in =
# lines processed + lines rejected, from the tool's --stats where it has
# them, and otherwise from its output, in which every record neither
# rejected nor blank is passed through verbatim, in order.  It prints what
# is wrong and returns 1, or returns 0.

# The input lines N..M (a list "2,5-6"), verbatim, each ending in "\n".
bad_lines() {
	local spec=$1 file=$2 part script=
	[ "$spec" = - ] && return 0
	IFS=, read -ra parts <<<"$spec"
	for part in "${parts[@]}"; do
		if [[ $part == *-* ]]; then script+="${part%-*},${part#*-}p;"; else script+="${part}p;"; fi
	done
	sed -n "$script" "$file" >"$file.sel"
	cat "$file.sel"
	# a last line without a newline gets one in --rejects
	bad_unterminated "$file.sel" && echo
	rm -f "$file.sel"
	return 0
}

# True when a file is not empty and does not end in "\n".
bad_unterminated() {
	[ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" != 0a ]
}

# Lines in a file, a last one without a newline counted.
bad_nlines() {
	local n
	n=$(wc -l <"$1")
	bad_unterminated "$1" && n=$((n + 1))
	echo "$n"
}

# The first line of each record of a list "2,5-6": 2 5.
bad_firsts() {
	[ "$1" = - ] && return 0
	local p
	IFS=, read -ra parts <<<"$1"
	for p in "${parts[@]}"; do echo "${p%-*}"; done
}

# The count of the lines of a list.
bad_count() {
	[ "$1" = - ] && { echo 0; return; }
	local p n=0
	IFS=, read -ra parts <<<"$1"
	for p in "${parts[@]}"; do
		if [[ $p == *-* ]]; then n=$((n + ${p#*-} - ${p%-*} + 1)); else n=$((n + 1)); fi
	done
	echo "$n"
}

bad_case() {
	local id=$1 want=$2 rejects=$3 cmd=$4 input=$5 message=$6
	local tool args stats= why=() status=0 w
	tool=${cmd%% *}
	args=${cmd#"$tool"}
	case $input in
	@empty) : >in ;;
	@*) bad_gen "${input#@}" >in ;;
	*) printf '%b' "$input" >in ;;
	esac
	rm -f rej
	case $tool in twin-ingest | twin-sync | twin-act | twin-predict) stats=--stats ;; esac
	# shellcheck disable=SC2086
	"$tool" $args --rejects=rej $stats in >out 2>err || status=$?
	[ "$status" = "$want" ] || why+=("exit status $status, not $want")

	# Messages: one per rejected record, in order, on its first line.
	# a fatal error's message is the last but the counts
	local got wantl first msgs=err
	if [ "$want" = 2 ]; then
		grep -v -E "^$tool: [0-9]+ lines: " err | tail -n 1 >fatal
		grep -v -E "^$tool: [0-9]+ lines: " err | sed '$d' >msgs
		msgs=msgs
	fi
	got=$(sed -n "s/^$tool: in:\([0-9]*\): .*/\1/p" "$msgs" | tr '\n' ' ')
	wantl=$(bad_firsts "$rejects" | tr '\n' ' ')
	[ "$got" = "$wantl" ] || why+=("messages for lines '$got', not '$wantl'")
	if [ "$want" = 2 ]; then
		first=$(sed "s/^$tool: //" fatal)
	else
		first=$(grep -v -E "^$tool: [0-9]+ lines: " err | grep -m 1 "^$tool: " | sed "s/^$tool: in:[0-9]*: //")
	fi
	[[ $first =~ $message ]] || why+=("message '$first' does not match '$message'")
	local other
	other=$(grep -v -E "^$tool: " err | head -n 3)
	[ -z "$other" ] || why+=("stray stderr: $other")

	# --rejects: exactly the rejected lines.
	bad_lines "$rejects" in >rej.want
	[ -f rej ] || : >rej
	cmp -s rej rej.want || why+=("--rejects differs: $(cmp rej rej.want 2>&1)")

	# Accounting.
	local n nrej blank stat
	n=$(bad_nlines in)
	nrej=$(bad_count "$rejects")
	blank=$(gzip -dcf in 2>/dev/null | grep -c -a -E '^[[:space:]]*$' || true)
	stat=$(grep -E "^$tool: [0-9]+ lines: " err | tail -n 1)
	case $tool in
	twin-ingest)
		if [[ $stat =~ ^twin-ingest:\ ([0-9]+)\ lines:\ ([0-9]+)\ accepted\ \(([0-9]+)\ readings\),\ ([0-9]+)\ rejected,\ ([0-9]+)\ skipped$ ]]; then
			local r=("${BASH_REMATCH[@]}")
			[ "$want" = 2 ] || [ "${r[1]}" = "$n" ] || why+=("--stats: ${r[1]} lines read of $n")
			[ "${r[1]}" = $((r[2] + r[4] + r[5])) ] || why+=("--stats: accepted + rejected + skipped != lines: $stat")
			[ "${r[4]}" = "$nrej" ] || why+=("--stats: ${r[4]} rejected, not $nrej")
		else
			why+=("no --stats line")
		fi ;;
	twin-sync)
		if [[ $stat =~ ^twin-sync:\ ([0-9]+)\ lines:\ ([0-9]+)\ readings,\ ([0-9]+)\ states,\ ([0-9]+)\ passed\ through,\ ([0-9]+)\ late,\ ([0-9]+)\ duplicates,\ ([0-9]+)\ quarantined,\ ([0-9]+)\ out\ of\ range,\ ([0-9]+)\ rejected,\ ([0-9]+)\ of\ other\ shards,\ ([0-9]+)\ read\ before$ ]]; then
			local r=("${BASH_REMATCH[@]}")
			[ "$want" = 2 ] || [ "${r[1]}" = "$n" ] || why+=("--stats: ${r[1]} lines read of $n")
			# no --late=drop in the corpus: late readings are rejected or kept
			[ "${r[1]}" = $((r[2] + r[4] + r[6] + r[9] + r[10] + r[11] + blank)) ] ||
				why+=("--stats: readings + passed + duplicates + rejected + others + before + $blank blank != lines: $stat")
			[ "${r[9]}" = "$nrej" ] || why+=("--stats: ${r[9]} rejected, not $nrej")
		else
			why+=("no --stats line")
		fi ;;
	*)
		if [ -n "$stats" ]; then
			if [[ $stat =~ ^twin-predict:\ ([0-9]+)\ lines:\ ([0-9]+)\ passed\ through,\ ([0-9]+)\ rejected,\ ([0-9]+)\ of\ other\ shards\; ]]; then
				r=("${BASH_REMATCH[@]}")
				if [ "$want" != 2 ]; then
					[ "${r[1]}" = "$n" ] || why+=("--stats: ${r[1]} lines read of $n")
					[ "${r[1]}" = $((r[2] + r[3] + r[4] + blank)) ] ||
						why+=("--stats: passed + rejected + others + $blank blank != lines: $stat")
					[ "${r[3]}" = "$nrej" ] || why+=("--stats: ${r[3]} rejected, not $nrej")
				fi
			elif [[ $stat =~ ^$tool:\ ([0-9]+)\ lines: ]]; then
				[ "$want" = 2 ] || [ "${BASH_REMATCH[1]}" = "$n" ] || why+=("--stats: ${BASH_REMATCH[1]} lines read of $n")
			else
				why+=("no --stats line")
			fi
		fi
		# every line neither rejected nor blank passes through, in order
		if [ "$want" != 2 ]; then
			bad_kept "$rejects" in >kept
			awk 'NR == FNR { want[++n] = $0; next } i < n && $0 == want[i + 1] { i++ }
			     END { if (i < n) { print "not passed through: " want[i + 1]; exit 1 } }' kept out >gone ||
				why+=("$(cat gone)")
			[ $(($(bad_nlines kept) + nrej + blank)) = "$n" ] || why+=("kept + rejected + blank != $n lines")
		fi ;;
	esac
	if [ ${#why[@]} -gt 0 ]; then
		for w in "${why[@]}"; do printf '%s: %s\n' "$id" "$w"; done
		return 1
	fi
}

# The lines neither rejected nor blank.
bad_kept() {
	local drop=" " p k
	if [ "$1" != - ]; then
		IFS=, read -ra parts <<<"$1"
		for p in "${parts[@]}"; do
			for ((k = ${p%-*}; k <= ${p#*-}; k++)); do drop+="$k "; done
		done
	fi
	# a line's "\r\n" is written "\n"
	awk -v drop="$drop" '!index(drop, " " FNR " ") && $0 !~ /^[[:space:]]*$/ { sub(/\r$/, ""); print }' "$2"
}

# Inputs made at run time: "@gztrunc:TEXT" TEXT gzipped, its last 20 bytes
# cut; "@gzgarbage:TEXT" TEXT gzipped, 20 bytes in its middle overwritten.
bad_gen() {
	local how=${1%%:*} text=${1#*:}
	printf '%b' "$text" | gzip -n -c >in.gz
	case $how in
	gztrunc) head -c "$(($(wc -c <in.gz) - 20))" in.gz ;;
	gzgarbage)
		local n
		n=$(wc -c <in.gz)
		head -c $((n / 2)) in.gz
		printf 'garbage!garbage!garb'
		tail -c $((n - n / 2 - 20)) in.gz ;;
	esac
	rm -f in.gz
}
