# Starting and stopping the cluster's daemons by pid. Sourced, never run.
# shellcheck shell=bash
#
# A pid file holds "PID STARTTIME" (field 22 of /proc/PID/stat): a pid is only treated as ours
# while its start time still matches, so a recycled pid is never signalled. Nothing here looks
# processes up by name.

pid_file() { echo "$LG_RUN/$1.pid"; }

# pid_starttime PID: prints the process start time in clock ticks since boot.
pid_starttime() {
  local stat f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat="${stat##*) }" # drop "PID (COMM) ": COMM may contain spaces and parentheses
  read -r -a f <<<"$stat"
  echo "${f[19]}"     # f[0] is field 3, so field 22 is f[19]
}

# pid_alive PID [STARTTIME]: running (not a zombie) and, if given, started at STARTTIME.
pid_alive() {
  local stat state
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat="${stat##*) }"
  state="${stat%% *}"
  [ "$state" != "Z" ] && [ "$state" != "X" ] || return 1
  [ -z "${2:-}" ] || [ "$(pid_starttime "$1")" = "$2" ]
}

# daemon_pid NAME: prints the pid of component NAME if it is still the process up started.
daemon_pid() {
  local f pid start
  f=$(pid_file "$1")
  [ -f "$f" ] || return 1
  read -r pid start <"$f" || return 1
  pid_alive "$pid" "$start" || return 1
  echo "$pid"
}

# start_daemon NAME CMD...: runs CMD in the background, detached (own session, stdin closed),
# appending to $LG_LOGS/NAME.log, inside the cluster's system cgroup; writes the pid file.
start_daemon() {
  local name="$1" logf pid start
  shift
  logf="$LG_LOGS/$name.log"
  printf '\n===== %s starting: %s\n' "$(date -Is)" "$*" >>"$logf"
  # The inline shell joins the system cgroup before exec so the daemon and everything it forks
  # (containerd's shims) is accounted there and found again by `down`. setsid gives it its own
  # session so a signal to the caller's process group (Ctrl-C, a test harness) never reaches
  # it; run from a script (no job control), setsid does not fork, so $! is the daemon's pid.
  # shellcheck disable=SC2016 # $$, $1 and $@ belong to the inline shell
  setsid bash -c 'for f in $1; do echo $$ >"$f"; done; shift; exec "$@"' lg-start \
    "$(cg_system_procs_files)" "$@" </dev/null >>"$logf" 2>&1 &
  pid=$!
  start=$(pid_starttime "$pid") || { tail_log "$name"; die "$name exited at once"; }
  echo "$pid $start" >"$(pid_file "$name")"
  log "started $name (pid $pid, log $logf)"
}

# wait_pid_gone PID SECONDS: returns 1 if PID still runs after SECONDS.
wait_pid_gone() {
  local pid="$1" deadline=$(( $(date +%s) + $2 ))
  while pid_alive "$pid"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# stop_daemon NAME [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 20).
stop_daemon() {
  local name="$1" timeout="${2:-20}" pid
  if pid=$(daemon_pid "$name"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" "$timeout"; then
      log "$name did not exit within ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_pid_gone "$pid" 10 || log "WARNING: $name (pid $pid) survived SIGKILL"
    fi
  fi
  rm -f "$(pid_file "$name")"
}

# require_running NAME WHAT: dies with the log tail if component NAME is no longer running.
require_running() {
  daemon_pid "$1" >/dev/null || { tail_log "$1"; die "$1 exited while waiting for $2"; }
}

# wait_component NAME SECONDS WHAT CMD...: wait_until that fails fast if NAME died.
wait_component() {
  local name="$1" timeout="$2" what="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    require_running "$name" "$what"
    if [ "$(date +%s)" -ge "$deadline" ]; then
      tail_log "$name"
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.5
  done
}
