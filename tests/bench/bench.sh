#!/usr/bin/env bash
# bench.sh - milter-annotate under load (make bench runs it after bench-reply).
#
#  1. Milter protocol load (build/bench-milter, tests/bench/bench_milter.c) on
#     127.0.0.1, at concurrency 1 and 64, each comparison run in alternating
#     rounds (A B A B ..., BENCH_REPS rounds); a ratio is the median over the
#     rounds of the round's B/A sessions per second (the two runs of a round
#     are adjacent in time, so slow changes in the machine's load cancel):
#       pass/noop      milter-annotate, rules that match nothing, against the
#                      no-op libmilter milter (build/bench-noop-milter); full
#                      sessions (connect .. end of message); the same rounds
#                      run the no-op milter with -d (negotiating the steps
#                      milter-annotate negotiates with dsn on, its default:
#                      end of headers and body too), as "info" lines
#       reject/noop    milter-annotate refusing and annotating every recipient,
#                      against the no-op milter; short sessions (connect, HELO,
#                      MAIL, RCPTs, ABORT, QUIT: no DATA after every RCPT was
#                      refused, as an MTA does)
#       proxy/direct   milter-annotate in proxy mode in front of the no-op
#                      milter, against the no-op milter alone; full sessions
#  2. End to end: smtp-source -> private Postfix -> smtp-sink, Postfix with
#     milter-annotate (rules that match nothing) against Postfix with the
#     no-op milter, alternating rounds, ratio of messages accepted per second.
#     Bounces (BENCH_CMP "dsn"): smtp-source -> private Postfix -> a next hop
#     that refuses every recipient (smtp-sink -f RCPT), so Postfix bounces
#     each message; the bounces pass through the milter (non_smtpd_milters,
#     internal_mail_filter_classes = bounce) and go to a second smtp-sink.
#     Postfix with milter-annotate annotating them against Postfix with the
#     no-op milter negotiating as milter-annotate does with dsn = on (-d:
#     headers, body, leave to replace it), alternating rounds, ratio of
#     bounces per second (from the first message sent until the last bounce
#     left the queue): ratio postfix-dsn/postfix-dsn-noop.
#  3. Memory: peak RSS with BENCH_HOLD sessions held open at once; RSS after
#     BENCH_MEM_SESSIONS/10 sessions against after BENCH_MEM_SESSIONS.
#
# milter-annotate runs with -f: its log goes to stderr, appended to a file in
# the temporary folder (one line per annotated reply in the reject case).
#
# Environment (defaults in brackets):
#   BENCH_REPS [7]          rounds per comparison
#   BENCH_SESSIONS [3000]   sessions per run at concurrency 64
#   BENCH_SESSIONS_C1 [2000] sessions per run at concurrency 1
#   BENCH_TIME [8]          seconds: a run starts no session after this
#   BENCH_RCPTS [4] BENCH_HEADERS [8] BENCH_BODY [4096]   the load's shape
#   BENCH_PF_MESSAGES [1000] BENCH_PF_CONC [20] BENCH_PF_REPS [5]   Postfix
#   BENCH_DSN_MESSAGES [1000] messages bounced per run (Postfix, "dsn")
#   BENCH_HOLD [500]        sessions held open for the peak RSS
#   BENCH_MEM_SESSIONS [100000]
#   BENCH_PARTS ["load postfix memory"]   which parts to run
#   BENCH_CMP ["pass reject proxy dsn"]   which comparisons to run: the load
#                           ones, and dsn (Postfix bounces, in the postfix part)
#   BENCH_KEEP=1            keep the temporary folder (logs, every run's report)
set -u
cd "$(dirname "$0")/../.." || exit 1

: "${BENCH_REPS:=7}"
: "${BENCH_SESSIONS:=3000}"
: "${BENCH_SESSIONS_C1:=2000}"
: "${BENCH_TIME:=8}"
: "${BENCH_RCPTS:=4}"
: "${BENCH_HEADERS:=8}"
: "${BENCH_BODY:=4096}"
: "${BENCH_PF_MESSAGES:=1000}"
: "${BENCH_PF_CONC:=20}"
: "${BENCH_PF_REPS:=5}"
: "${BENCH_DSN_MESSAGES:=1000}"
: "${BENCH_HOLD:=500}"
: "${BENCH_MEM_SESSIONS:=100000}"
: "${BENCH_PARTS:=load postfix memory}"
: "${BENCH_CMP:=pass reject proxy dsn}"
E2E_KEEP=${BENCH_KEEP:-0}

# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

DRIVER=$MA_BUILD/bench-milter
NOOP=$MA_BUILD/bench-noop-milter
for b in "$DRIVER" "$NOOP" "$MA_BIN"; do
	[ -x "$b" ] || { echo "bench.sh: $b is missing (make bench builds it)" >&2; exit 1; }
done
e2e_init bench
RES=$E2E_TMP/runs
mkdir -p "$RES"
T0=$SECONDS
EXTRA_PIDS=()

bench_cleanup() {
	local n p
	# Stop every milter at once (libmilter takes up to 5 s to notice).
	for n in "${!E2E_MA_PID[@]}"; do kill -TERM "${E2E_MA_PID[$n]}" 2>/dev/null; done
	for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	e2e_cleanup
}
trap bench_cleanup EXIT

# ---- milters ---------------------------------------------------------------------------

# noop_start NAME PORT [-a|-d]: the no-op milter, stopped by the EXIT trap like
# ma_start's.
noop_start() {
	local name=$1 port=$2 pid i
	"$NOOP" ${3:+"$3"} "inet:$port@127.0.0.1" 2>>"$E2E_TMP/$name.log" </dev/null &
	pid=$!
	E2E_MA_PID["$name"]=$pid
	for ((i = 0; i < E2E_START_TIMEOUT * 10; i++)); do
		_mta_listening "$port" && return 0
		_mta_alive "$pid" || break
		sleep 0.1
	done
	echo "bench.sh: $name does not listen on $port" >&2
	return 1
}

# Rules that match nothing of the load: the load's clients are 10.x.y.z, its
# senders sender-N@bench.example, its recipients rcptK-N@example.net.
write_conf() { # FILE KIND [UPSTREAM_PORT [REUSE]]
	local file=$1 kind=$2 up=${3:-} reuse=${4:-false}
	{
		echo '# milter-annotate benchmark configuration (tests/bench/bench.sh)'
		echo 'log = "stderr";'
		[ -n "$up" ] && echo "upstream = \"inet:$up@127.0.0.1\";" && echo "upstream_reuse = $reuse;"
		echo 'rules = ('
		case $kind in
		reject)
			echo '  { name = "refuse-all"; stage = "rcpt"; rcpt = ".";'
			echo '    reply = "550 5.7.1 Relaying denied"; }' ;;
		*)
			cat <<'EOF'
  { name = "bad-helo"; stage = "helo"; helo = "^(localhost|\\[?127\\.|.*\\.invalid$)";
    reply = "550 5.7.1 Bad HELO"; },
  { name = "spam-from"; stage = "mail"; from = "^<?[^@]*@(spam|junk)\\.example>?$";
    reply = "550 5.7.1 Sender refused"; },
  { name = "no-relay"; stage = "rcpt"; rcpt = "^<?(blocked|noreply)@";
    reply = "550 5.7.1 Relaying denied"; },
  { name = "grey"; stage = "rcpt"; client_addr = [ "192.0.2.0/24", "2001:db8::/32" ];
    reply = "451 4.7.1 Try later"; },
  { name = "subject"; stage = "header"; header = "Subject: (viagra|lottery|you have won)";
    reply = "554 5.7.1 Content refused"; }
EOF
			# The memory run also annotates one recipient per message.
			[ "$kind" = mixed ] && printf '%s\n' '  ,{ name = "rcpt3"; stage = "rcpt"; rcpt = "^<?rcpt3-";' \
				'    reply = "550 5.1.1 No such user"; }'
			;;
		esac
		echo ');'
	} >"$file"
	"$MA_BIN" -n -c "$file" >/dev/null || { echo "bench.sh: bad $file" >&2; exit 1; }
}

# ---- protocol load ------------------------------------------------------------------------

declare -A RUNS=()  # NAME@CONC -> "sps:cpu_milter:cpu_driver:file ..."
declare -A PORT=() WATCH=() ARGS=() WARMED=()
RUNSEQ=0
WARN=()

# run_arm NAME CONC SESSIONS: one driver run against arm NAME.
run_arm() {
	local name=$1 conc=$2 n=$3 f line sps errors cpu drv
	RUNSEQ=$((RUNSEQ + 1))
	f=$RES/$name@$conc.$RUNSEQ.txt
	# shellcheck disable=SC2086 # ARGS holds separate words
	timeout 300 "$DRIVER" -s "inet:${PORT[$name]}@127.0.0.1" -c "$conc" -n "$n" -t "$BENCH_TIME" \
		-k "$BENCH_RCPTS" -H "$BENCH_HEADERS" -b "$BENCH_BODY" -L "$name" \
		-w "${WATCH[$name]}" ${ARGS[$name]} >"$f" 2>&1
	line=$(grep '^RESULT' "$f")
	sps=$(sed -n 's/.* sps=\([0-9.]*\).*/\1/p' <<<"$line")
	errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$line")
	[ -n "$sps" ] || { WARN+=("$name@$conc: no result ($f)"); sps=0; }
	[ "${errors:-0}" = 0 ] || WARN+=("$name@$conc: $errors failed sessions: $(grep -m1 'first error' "$f")")
	# Milter CPU per session: the sum over the watched pids.
	cpu=$(awk '/^CPU/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^pid[0-9]+_us=/) { sub(/.*=/, "", $i); s += $i }; print s }' "$f")
	drv=$(awk '/^CPU/ { for (i = 1; i <= NF; i++) if ($i ~ /^driver_us=/) { sub(/.*=/, "", $i); print $i } }' "$f")
	RUNS[$name@$conc]+="$sps:${cpu:-0}:${drv:-0}:$f "
}

# median_field KEY FIELD: median of field FIELD (1 sps, 2 milter CPU, 3 driver CPU).
median_field() {
	local k
	for k in ${RUNS[$1]}; do echo "$k"; done | cut -d: -f"$2" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# median_file KEY: the report of the run with the (lower) median sessions/s.
median_file() {
	local k
	for k in ${RUNS[$1]}; do echo "$k"; done | sort -t: -k1,1g |
		awk -F: '{ a[NR] = $4 } END { print a[int((NR + 1) / 2)] }'
}

range() {
	local k
	for k in ${RUNS[$1]}; do echo "$k"; done | cut -d: -f1 | sort -g |
		awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'
}

# pair CONC SESSIONS ARM...: warm each arm up, then BENCH_REPS rounds of
# every arm in turn.
pair() {
	local conc=$1 n=$2 r a
	shift 2
	for a in "$@"; do
		[ -n "${WARMED[$a]:-}" ] && continue
		run_arm "$a" 64 200
		RUNS[$a@64]="" WARMED[$a]=1
	done
	for ((r = 0; r < BENCH_REPS; r++)); do
		for a in "$@"; do run_arm "$a" "$conc" "$n"; done
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

# round_ratio B A: the median over rounds of B's sessions/s over A's in the
# same round (runs of a round are adjacent in time: slow changes in the
# machine's other load cancel out).
round_ratio() {
	local k
	paste -d' ' <(for k in ${RUNS[$1]}; do echo "${k%%:*}"; done) \
		<(for k in ${RUNS[$2]}; do echo "${k%%:*}"; done) |
		awk '$2 > 0 { print $1 / $2 }' | sort -g |
		awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.2f\n", a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

load_part() {
	local p_noop p_noopa p_pass p_reject p_proxy p_proxyf c n key
	e2e_port p_noop && e2e_port p_noopa && e2e_port p_pass && e2e_port p_reject && e2e_port p_proxy &&
		e2e_port p_proxyf || exit 1
	write_conf "$E2E_TMP/pass.conf" pass
	write_conf "$E2E_TMP/reject.conf" reject
	# The no-op upstream is a libmilter milter: upstream_reuse is what its
	# administrator would set (proxy-fresh, an info arm, runs without it).
	write_conf "$E2E_TMP/proxy.conf" pass "$p_noop" true
	write_conf "$E2E_TMP/proxy-fresh.conf" pass "$p_noop" false
	noop_start noop "$p_noop" || exit 1
	noop_start noop-a "$p_noopa" -d || exit 1
	ma_start pass "$E2E_TMP/pass.conf" "$p_pass" || exit 1
	ma_start reject "$E2E_TMP/reject.conf" "$p_reject" || exit 1
	ma_start proxy "$E2E_TMP/proxy.conf" "$p_proxy" || exit 1
	ma_start proxy-fresh "$E2E_TMP/proxy-fresh.conf" "$p_proxyf" || exit 1
	# Arms: the milter's port, the pids whose CPU counts, driver options.
	PORT[noop]=$p_noop WATCH[noop]=$(ma_pid noop) ARGS[noop]=""
	PORT[pass]=$p_pass WATCH[pass]=$(ma_pid pass) ARGS[pass]=""
	PORT[noop-a]=$p_noopa WATCH[noop-a]=$(ma_pid noop-a) ARGS[noop-a]=""
	PORT[noop-short]=$p_noop WATCH[noop-short]=$(ma_pid noop) ARGS[noop-short]="-S"
	PORT[reject]=$p_reject WATCH[reject]=$(ma_pid reject) ARGS[reject]="-S"
	PORT[direct]=$p_noop WATCH[direct]=$(ma_pid noop) ARGS[direct]=""
	PORT[proxy]=$p_proxy WATCH[proxy]="$(ma_pid proxy),$(ma_pid noop)" ARGS[proxy]=""
	PORT[proxy-fresh]=$p_proxyf WATCH[proxy-fresh]="$(ma_pid proxy-fresh),$(ma_pid noop)" ARGS[proxy-fresh]=""

	echo "== milter protocol load: build/bench-milter on 127.0.0.1, $BENCH_RCPTS recipients, $BENCH_HEADERS headers, $BENCH_BODY-byte body"
	echo "   $BENCH_REPS alternating runs per side, $BENCH_SESSIONS_C1 sessions per run at concurrency 1, $BENCH_SESSIONS at 64 (runs stop starting sessions after ${BENCH_TIME}s)"
	echo "   milter-annotate log: stderr appended to $E2E_TMP/{pass,reject,proxy}.log"
	for c in 1 64; do
		n=$BENCH_SESSIONS
		[ "$c" = 1 ] && n=$BENCH_SESSIONS_C1
		case " $BENCH_CMP " in *" pass "*) pair "$c" "$n" noop pass noop-a ;; esac
		case " $BENCH_CMP " in *" reject "*) pair "$c" "$n" noop-short reject ;; esac
		case " $BENCH_CMP " in *" proxy "*) pair "$c" "$n" direct proxy proxy-fresh ;; esac
	done
	echo
	printf '%-16s %10s %18s %12s %12s %10s %10s\n' arm@conc sessions/s "runs min..max" "milter us" "driver us" "p50 ms" "p99 ms"
	for c in 1 64; do
		for key in noop pass noop-a noop-short reject direct proxy proxy-fresh; do
			key=$key@$c
			[ -n "${RUNS[$key]:-}" ] || continue
			printf '%-16s %10s %18s %12s %12s %10s %10s\n' "$key" "$(median_field "$key" 1)" \
				"$(range "$key")" "$(median_field "$key" 2)" "$(median_field "$key" 3)" \
				"$(awk '$1 == "session" { print $3 }' "$(median_file "$key")")" \
				"$(awk '$1 == "session" { print $4 }' "$(median_file "$key")")"
		done
	done
	echo "   (sessions/s: median; milter us, driver us: CPU time per session, median; proxy's"
	echo "    milter us counts the proxy and its upstream no-op milter; p50/p99: whole session,"
	echo "    from the median run)"
	for c in 1 64; do
		echo
		echo "latency per stage at concurrency $c, p50/p99 in ms (median run of each arm):"
		stage_table "$c"
	done
	echo
	for c in 1 64; do
		[ -n "${RUNS[pass@$c]:-}" ] && echo "ratio pass/noop@$c: $(round_ratio pass@$c noop@$c)"
	done
	for c in 1 64; do
		[ -n "${RUNS[reject@$c]:-}" ] && echo "ratio reject/noop@$c: $(round_ratio reject@$c noop-short@$c)"
	done
	for c in 1 64; do
		[ -n "${RUNS[proxy@$c]:-}" ] && echo "ratio proxy/direct@$c: $(round_ratio proxy@$c direct@$c)"
	done
	for c in 1 64; do
		[ -n "${RUNS[proxy-fresh@$c]:-}" ] &&
			echo "   info proxy-fresh/direct@$c: $(round_ratio proxy-fresh@$c direct@$c) (upstream_reuse = false)"
	done
	echo "   goals: pass/noop >= 0.95, reject/noop >= 0.90, proxy/direct >= 0.80"
	echo "   (each: median over the $BENCH_REPS rounds of the round's sessions/s ratio)"
	[ -n "${RUNS[pass@1]:-}" ] || return 0
	echo "   info pass/noop-a@1: $(round_ratio pass@1 noop-a@1), pass/noop-a@64: $(round_ratio pass@64 noop-a@64)"
	echo "     (noop-a: the no-op milter negotiating as milter-annotate does, so that"
	echo "     both get the same steps and macros:"
	grep -m1 'negotiated' "$(median_file noop@1)" | sed 's/^ */      noop:   /'
	grep -m1 'negotiated' "$(median_file pass@1)" | sed 's/^ */      pass:   /'
	grep -m1 'negotiated' "$(median_file noop-a@1)" | sed 's/^ */      noop-a: /'
	echo "     short sessions send connect, helo, mail, rcpt; proxy: what the proxy negotiated)"
}

stage_table() {
	local c=$1 a files=()
	local arms=""
	for a in noop pass noop-a noop-short reject direct proxy proxy-fresh; do
		[ -n "${RUNS[$a@$c]:-}" ] || continue
		files+=("$(median_file "$a@$c")") arms+="$a "
	done
	awk -v arms="$arms" -v c="$c" '
		BEGIN { n = split(arms, arm, " "); split("optneg connect helo mail rcpt data header eoh body eom quit session", st, " ") }
		FNR == 1 { k++ }
		$1 ~ /^(optneg|connect|helo|mail|rcpt|data|header|eoh|body|eom|quit|session)$/ {
			if ($2 ~ /^[0-9]+$/) v[k, $1] = sprintf("%.3f/%.3f", $3, $4)
		}
		END {
			printf "%-8s", "stage"; for (i = 1; i <= n; i++) printf " %15s", arm[i]; printf "\n"
			for (s = 1; s <= 12; s++) {
				printf "%-8s", st[s]
				for (i = 1; i <= n; i++) printf " %15s", ((i, st[s]) in v) ? v[i, st[s]] : "-"
				printf "\n"
			}
		}' "${files[@]}"
}

# ---- Postfix end to end -----------------------------------------------------------------

queued() { find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" "$1/queue/maildrop" -type f 2>/dev/null | wc -l; }

# CPU time (user + system) of a process so far, in clock ticks.
cpu_ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# pf_run NAME DIR PORT MESSAGES MILTER_PID: smtp-source until every message is
# accepted, then wait (bounded) until Postfix delivered them all to smtp-sink.
# Records accepted/s, delivered/s and the milter's CPU microseconds per message.
declare -A PF=()
pf_run() {
	local name=$1 dir=$2 port=$3 m=$4 pid=$5 t0 t1 t2 c0 c1 i out
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	out=$(timeout 300 smtp-source -s "$BENCH_PF_CONC" -m "$m" -r "$BENCH_RCPTS" -l "$BENCH_BODY" \
		-f sender@bench.example -t rcpt@example.net "127.0.0.1:$port" 2>&1) ||
		WARN+=("postfix $name: smtp-source failed: $out")
	t1=$(date +%s.%N)
	for ((i = 0; i < 600; i++)); do
		[ "$(queued "$dir")" = 0 ] && break
		sleep 0.1
	done
	t2=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	PF[$name]+="$(awk -v m="$m" -v a="$t0" -v b="$t1" -v c="$t2" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f:%.1f:%.0f", m / (b - a), m / (c - a), (c1 - c0) / hz * 1e6 / m }') "
}

pf_median() { # NAME FIELD
	local k
	for k in ${PF[$1]}; do echo "$k"; done | cut -d: -f"$2" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# pf_round_ratio B A: median over rounds of B's accepted/s over A's.
pf_round_ratio() {
	local k
	paste -d' ' <(for k in ${PF[$1]}; do echo "${k%%:*}"; done) <(for k in ${PF[$2]}; do echo "${k%%:*}"; done) |
		awk '$2 > 0 { print $1 / $2 }' | sort -g |
		awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.2f\n", a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

postfix_part() {
	local p_sink p_a p_b p_noop p_ma extra r sink_pid sent_a sent_b pid_a pid_b d
	if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null; then
		echo "bench.sh: postfix part skipped: no postfix (make deps)"
		return 0
	fi
	e2e_port p_sink && e2e_port p_a && e2e_port p_b || exit 1
	if [ -z "$(ma_pid pass)" ]; then
		e2e_port p_noop && e2e_port p_ma || exit 1
		write_conf "$E2E_TMP/pass.conf" pass
		noop_start noop "$p_noop" || exit 1
		ma_start pass "$E2E_TMP/pass.conf" "$p_ma" || exit 1
	else
		p_noop=${PORT[noop]} p_ma=${PORT[pass]}
	fi
	smtp-sink -u postfix "127.0.0.1:$p_sink" 256 >"$E2E_TMP/smtp-sink.log" 2>&1 &
	sink_pid=$!
	EXTRA_PIDS+=("$sink_pid")
	mta_wait_port "$p_sink" || { echo "bench.sh: smtp-sink does not start" >&2; exit 1; }
	# Deliver to smtp-sink: the queue manager on, everything relayed there.
	extra="master_service_disable =
relayhost = [127.0.0.1]:$p_sink
default_transport = smtp
smtp_tls_security_level = none
smtpd_tls_security_level = none"
	pf_start_e2e "$E2E_TMP/pf-noop" "$p_a" "inet:127.0.0.1:$p_noop" "$extra" || exit 1
	pf_start_e2e "$E2E_TMP/pf-milter" "$p_b" "inet:127.0.0.1:$p_ma" "$extra" || exit 1
	pid_a=$(ma_pid noop) pid_b=$(ma_pid pass)
	pf_run warm-noop "$E2E_TMP/pf-noop" "$p_a" 100 "$pid_a"
	pf_run warm-milter "$E2E_TMP/pf-milter" "$p_b" 100 "$pid_b"
	for ((r = 0; r < BENCH_PF_REPS; r++)); do
		pf_run noop "$E2E_TMP/pf-noop" "$p_a" "$BENCH_PF_MESSAGES" "$pid_a"
		pf_run milter "$E2E_TMP/pf-milter" "$p_b" "$BENCH_PF_MESSAGES" "$pid_b"
	done
	sent_a=$(grep -c 'status=sent' "$E2E_TMP/pf-noop/maillog")
	sent_b=$(grep -c 'status=sent' "$E2E_TMP/pf-milter/maillog")
	for d in pf-noop pf-milter; do
		grep -q -i 'milter.*\(error\|fail\|timeout\)\|warning: .*milter' "$E2E_TMP/$d/maillog" &&
			WARN+=("postfix $d: milter warnings in its maillog: $(grep -m1 -i 'milter' "$E2E_TMP/$d/maillog")")
	done
	echo
	echo "== end to end: smtp-source -s $BENCH_PF_CONC -m $BENCH_PF_MESSAGES -r $BENCH_RCPTS -l $BENCH_BODY -> Postfix -> smtp-sink"
	echo "   $BENCH_PF_REPS alternating runs per side, median; accepted: until smtp-source is done,"
	echo "   delivered: until the queue is empty (deliveries logged: noop $sent_a, milter $sent_b);"
	echo "   milter us: the milter's CPU time per message (one SMTP session, one milter session each)"
	printf '%-16s %14s %15s %10s   %s\n' postfix msgs/s-accept msgs/s-deliver "milter us" "runs (accept:deliver:milter us)"
	printf '%-16s %14s %15s %10s   %s\n' postfix-noop "$(pf_median noop 1)" "$(pf_median noop 2)" "$(pf_median noop 3)" "${PF[noop]}"
	printf '%-16s %14s %15s %10s   %s\n' postfix-milter "$(pf_median milter 1)" "$(pf_median milter 2)" "$(pf_median milter 3)" "${PF[milter]}"
	echo "ratio postfix-milter/postfix-noop: $(pf_round_ratio milter noop)"
	echo "   goal: >= 0.97 (messages accepted per second; median over the rounds of the round's ratio)"
	case " $BENCH_CMP " in *" dsn "*) postfix_dsn ;; esac
}

# ---- Postfix bounces ----------------------------------------------------------------------

bounces() { grep -c 'sender non-delivery notification' "$1/maillog"; }

# pf_dsn_run NAME DIR PORT MESSAGES MILTER_PID: smtp-source MESSAGES one-recipient
# messages, each refused by the next hop, so bounced; wait (bounded) until the queue is
# empty: every bounce made, through the milter, and delivered. Records bounces/s (from
# the first message sent to the empty queue) and the milter's CPU microseconds per bounce.
declare -A PFD=()
pf_dsn_run() {
	local name=$1 dir=$2 port=$3 m=$4 pid=$5 t0 t2 c0 c1 i out n0 n1
	n0=$(bounces "$dir")
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	out=$(timeout 300 smtp-source -s "$BENCH_PF_CONC" -m "$m" -r 1 -l "$BENCH_BODY" \
		-f sender@bench.example -t rcpt@example.net "127.0.0.1:$port" 2>&1) ||
		WARN+=("postfix-dsn $name: smtp-source failed: $out")
	for ((i = 0; i < 3000; i++)); do
		[ "$(queued "$dir")" = 0 ] && break
		sleep 0.05
	done
	t2=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	# The maillog is written by postlogd: give it a moment to catch up.
	for ((i = 0; i < 50; i++)); do
		n1=$(bounces "$dir")
		[ $((n1 - n0)) -ge "$m" ] && break
		sleep 0.1
	done
	[ $((n1 - n0)) = "$m" ] || WARN+=("postfix-dsn $name: $((n1 - n0)) bounces for $m messages")
	PFD[$name]+="$(awk -v m="$m" -v a="$t0" -v c="$t2" -v c0="$c0" -v c1="$c1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.1f:%.0f", m / (c - a), (c1 - c0) / hz * 1e6 / m }') "
}

pfd_median() { # NAME FIELD
	local k
	for k in ${PFD[$1]}; do echo "$k"; done | cut -d: -f"$2" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

pfd_round_ratio() { # B A: median over rounds of B's bounces/s over A's
	local k
	paste -d' ' <(for k in ${PFD[$1]}; do echo "${k%%:*}"; done) <(for k in ${PFD[$2]}; do echo "${k%%:*}"; done) |
		awk '$2 > 0 { print $1 / $2 }' | sort -g |
		awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) printf "%.2f\n", a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

postfix_dsn() {
	local p_ref p_ok p_a p_b p_noop p_ma extra_a extra_b r pid_a pid_b ann unch d
	e2e_port p_ref && e2e_port p_ok && e2e_port p_a && e2e_port p_b && e2e_port p_noop &&
		e2e_port p_ma || exit 1
	# The pass rules: bad-helo matches the "localhost" Postfix makes up for its bounces and
	# must not refuse them (logged as spared instead).
	write_conf "$E2E_TMP/dsn.conf" pass
	noop_start noop-dsn "$p_noop" -d || exit 1
	ma_start dsn "$E2E_TMP/dsn.conf" "$p_ma" || exit 1
	# The next hop refuses every recipient (550); the bounces go to a sink that takes them.
	smtp-sink -u postfix -f RCPT "127.0.0.1:$p_ref" 256 >"$E2E_TMP/smtp-sink-refuse.log" 2>&1 &
	EXTRA_PIDS+=("$!")
	smtp-sink -u postfix "127.0.0.1:$p_ok" 256 >"$E2E_TMP/smtp-sink-bounces.log" 2>&1 &
	EXTRA_PIDS+=("$!")
	mta_wait_port "$p_ref" && mta_wait_port "$p_ok" || { echo "bench.sh: smtp-sink does not start" >&2; exit 1; }
	printf 'bench.example smtp:[127.0.0.1]:%s\n' "$p_ok" >"$E2E_TMP/dsn-transport"
	# Bounces through non_smtpd_milters, as milter-annotate mta-config postfix says, but
	# "default_action=accept" without blanks: Postfix 3.7 reads blanks inside { } as
	# separators (cleanup: "fatal: malformed option: missing '=' after attribute name").
	extra_a="master_service_disable =
relayhost = [127.0.0.1]:$p_ref
default_transport = smtp
transport_maps = texthash:$E2E_TMP/dsn-transport
smtp_tls_security_level = none
smtpd_tls_security_level = none
internal_mail_filter_classes = bounce"
	extra_b="$extra_a
non_smtpd_milters = { inet:127.0.0.1:$p_ma, default_action=accept }"
	extra_a="$extra_a
non_smtpd_milters = { inet:127.0.0.1:$p_noop, default_action=accept }"
	pf_start_e2e "$E2E_TMP/pf-dsn-noop" "$p_a" "" "$extra_a" || exit 1
	pf_start_e2e "$E2E_TMP/pf-dsn" "$p_b" "" "$extra_b" || exit 1
	pid_a=$(ma_pid noop-dsn) pid_b=$(ma_pid dsn)
	pf_dsn_run warm-noop "$E2E_TMP/pf-dsn-noop" "$p_a" 50 "$pid_a"
	pf_dsn_run warm-dsn "$E2E_TMP/pf-dsn" "$p_b" 50 "$pid_b"
	for ((r = 0; r < BENCH_PF_REPS; r++)); do
		pf_dsn_run noop "$E2E_TMP/pf-dsn-noop" "$p_a" "$BENCH_DSN_MESSAGES" "$pid_a"
		pf_dsn_run dsn "$E2E_TMP/pf-dsn" "$p_b" "$BENCH_DSN_MESSAGES" "$pid_b"
	done
	ann=$(grep -c ' annotated .*source=dsn' "$(ma_logfile dsn)")
	unch=$(grep -c 'dsn-unchanged' "$(ma_logfile dsn)")
	[ "$ann" = $((50 + BENCH_PF_REPS * BENCH_DSN_MESSAGES)) ] ||
		WARN+=("postfix-dsn: $ann bounces annotated, $unch unchanged, of $((50 + BENCH_PF_REPS * BENCH_DSN_MESSAGES)): $(grep -m1 'dsn-unchanged' "$(ma_logfile dsn)")")
	for d in pf-dsn-noop pf-dsn; do
		grep -q -i 'milter.*\(error\|fail\|timeout\)\|warning: .*milter' "$E2E_TMP/$d/maillog" &&
			WARN+=("postfix $d: milter warnings in its maillog: $(grep -m1 -i 'milter' "$E2E_TMP/$d/maillog")")
	done
	echo
	echo "== bounces: smtp-source -s $BENCH_PF_CONC -m $BENCH_DSN_MESSAGES -r 1 -l $BENCH_BODY -> Postfix -> a next hop"
	echo "   refusing every recipient; each bounce through the milter (non_smtpd_milters) to smtp-sink"
	echo "   $BENCH_PF_REPS alternating runs per side, median; bounces/s: from the first message sent until"
	echo "   the queue is empty; milter us: the milter's CPU time per bounce; annotated: $ann, unchanged: $unch"
	printf '%-18s %10s %10s   %s\n' postfix bounces/s "milter us" "runs (bounces/s:milter us)"
	printf '%-18s %10s %10s   %s\n' postfix-dsn-noop "$(pfd_median noop 1)" "$(pfd_median noop 2)" "${PFD[noop]}"
	printf '%-18s %10s %10s   %s\n' postfix-dsn "$(pfd_median dsn 1)" "$(pfd_median dsn 2)" "${PFD[dsn]}"
	echo "ratio postfix-dsn/postfix-dsn-noop: $(pfd_round_ratio dsn noop)"
	echo "   goal: >= 0.90 (bounces per second; median over the rounds of the round's ratio)"
}

# ---- memory -------------------------------------------------------------------------------

vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

memory_part() {
	local p_hold p_grow p_pnoop p_proxy pid out n1 rss1 rss2 hwm2 thr
	e2e_port p_hold && e2e_port p_grow && e2e_port p_pnoop && e2e_port p_proxy || exit 1
	write_conf "$E2E_TMP/mixed.conf" mixed
	write_conf "$E2E_TMP/mproxy.conf" pass "$p_pnoop"
	ma_start mem-hold "$E2E_TMP/mixed.conf" "$p_hold" || exit 1
	ma_start mem-grow "$E2E_TMP/mixed.conf" "$p_grow" || exit 1
	noop_start mem-noop "$p_pnoop" || exit 1
	ma_start mem-proxy "$E2E_TMP/mproxy.conf" "$p_proxy" || exit 1
	echo
	echo "== memory (fresh processes; VmRSS/VmHWM from /proc/PID/status, kB)"
	echo "   rules: those of the pass case plus one refusing each message's 4th recipient"
	printf '%-42s %9s %9s %8s\n' "" VmRSS VmHWM threads
	for pair_ in "no-op milter:mem-noop:$p_pnoop" "milter-annotate:mem-hold:$p_hold" \
		"milter-annotate proxy:mem-proxy:$p_proxy"; do
		IFS=: read -r what name port <<<"$pair_"
		pid=$(ma_pid "$name")
		out=$("$DRIVER" -s "inet:$port@127.0.0.1" -c "$BENCH_HOLD" -o 1000 -k "$BENCH_RCPTS" \
			-H "$BENCH_HEADERS" -b "$BENCH_BODY" -L "hold-$name" -w "$pid" -q 2>&1)
		printf '%-42s %9s %9s %8s\n' "$what, $BENCH_HOLD sessions open" \
			"$(sed -n 's/^HELD.* VmRSS_kB=\([0-9-]*\).*/\1/p' <<<"$out")" \
			"$(sed -n 's/^HELD.* VmHWM_kB=\([0-9-]*\).*/\1/p' <<<"$out")" \
			"$(sed -n 's/^HELD.* threads=\([0-9-]*\).*/\1/p' <<<"$out")"
		grep -q '^HELD.* held='"$BENCH_HOLD"' ' <<<"$out" ||
			WARN+=("memory $name: not every session was held: $(grep -E '^(HELD|RESULT)|first error' <<<"$out" | tr '\n' ' ')")
		grep -q 'errors=0 ' <<<"$out" || WARN+=("memory $name: $(grep -E '^RESULT|first error' <<<"$out" | tr '\n' ' ')")
	done
	pid=$(ma_pid mem-grow)
	n1=$((BENCH_MEM_SESSIONS / 10))
	printf '%-42s %9s %9s %8s\n' "milter-annotate at start" "$(vm "$pid" VmRSS)" "$(vm "$pid" VmHWM)" "$(vm "$pid" Threads)"
	"$DRIVER" -s "inet:$p_grow@127.0.0.1" -c 64 -n "$n1" -k "$BENCH_RCPTS" -H "$BENCH_HEADERS" \
		-b "$BENCH_BODY" -L grow1 -q >"$RES/grow1.txt" 2>&1
	sleep 1
	rss1=$(vm "$pid" VmRSS)
	printf '%-42s %9s %9s %8s\n' "milter-annotate after $n1 sessions" "$rss1" "$(vm "$pid" VmHWM)" "$(vm "$pid" Threads)"
	"$DRIVER" -s "inet:$p_grow@127.0.0.1" -c 64 -n "$((BENCH_MEM_SESSIONS - n1))" -k "$BENCH_RCPTS" \
		-H "$BENCH_HEADERS" -b "$BENCH_BODY" -L grow2 -q >"$RES/grow2.txt" 2>&1
	sleep 1
	rss2=$(vm "$pid" VmRSS) hwm2=$(vm "$pid" VmHWM) thr=$(vm "$pid" Threads)
	printf '%-42s %9s %9s %8s\n' "milter-annotate after $BENCH_MEM_SESSIONS sessions" "$rss2" "$hwm2" "$thr"
	for f in "$RES/grow1.txt" "$RES/grow2.txt"; do
		grep -q '^RESULT.* errors=0 ' "$f" || WARN+=("memory growth run: $(grep -E '^RESULT|first error' "$f" | tr '\n' ' ')")
	done
	echo "memory rss-growth ${n1}->${BENCH_MEM_SESSIONS}: $((rss2 - rss1)) kB ($(awk -v d="$((rss2 - rss1))" -v n="$((BENCH_MEM_SESSIONS - n1))" 'BEGIN { printf "%.2f", d * 1024 / n }') bytes/session)"
}

for part in $BENCH_PARTS; do
	case $part in
	load) load_part ;;
	postfix) postfix_part ;;
	memory) memory_part ;;
	*) echo "bench.sh: unknown part $part" >&2; exit 2 ;;
	esac
done
echo
if [ ${#WARN[@]} -gt 0 ]; then
	echo "warnings:"
	printf '  %s\n' "${WARN[@]}"
fi
echo "bench.sh: $((SECONDS - T0)) s (temporary folder $E2E_TMP$([ "$E2E_KEEP" = 1 ] && echo ", kept"))"
