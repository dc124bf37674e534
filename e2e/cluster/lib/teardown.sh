# Tearing the cluster down: used by `down`, and by `up` when it finds a half-dead cluster.
# Sourced, never run.
# shellcheck shell=bash
#
# Order matters:
#  1. stop the control loops that would recreate pods (controller-manager, scheduler) and
#     metrics-server;
#  2. force-delete every pod through the API while kubelet still runs, so kubelet stops each
#     sandbox through CRI: that runs CNI DEL (veth, host-local lease, portmap rules) and
#     unmounts the pod's volumes, the clean path;
#  3. stop kubelet and kube-proxy, then anything containerd still runs (ctr tasks kill/delete
#     on our socket), then containerd, then the API server and etcd;
#  4. kill by pid whatever is still in the cluster's cgroup tree (shims, stray containers);
#  5. unmount everything under the state dir, remove cgroups, iptables chains the cluster
#     added, the interfaces, restore sysctls, and delete the state (keeping logs/).

_api_reachable() { [ -f "$ADMIN_KUBECONFIG" ] && lg_kubectl get --raw /readyz --request-timeout=3s >/dev/null 2>&1; }

# Pods' sandboxes are gone once no veth hangs on the bridge and containerd runs no task.
_pods_gone() {
  [ -z "$(ip -o link show master "$BRIDGE_IF" 2>/dev/null)" ] || return 1
  [ -S "$CONTAINERD_SOCK" ] || return 0
  ! lg_ctr tasks ls 2>/dev/null | awk 'NR > 1 && $3 == "RUNNING"' | grep . >/dev/null
}

_drain_pods() {
  daemon_pid kubelet >/dev/null && _api_reachable || return 0
  log "deleting all pods through the API so kubelet tears their sandboxes down"
  lg_kubectl delete pods --all --all-namespaces --force --grace-period=0 --wait=false \
    >/dev/null 2>&1 || true
  if wait_until 60 "kubelet to stop every pod sandbox" _pods_gone; then
    log "all pod sandboxes stopped"
  else
    log "some sandboxes are still running: killing them through containerd"
  fi
}

# _ctr_cleanup: kills and deletes every task and container our containerd still knows about.
_ctr_cleanup() {
  [ -S "$CONTAINERD_SOCK" ] && daemon_pid containerd >/dev/null || return 0
  local ns id
  for ns in $(ctr --address "$CONTAINERD_SOCK" namespaces ls -q 2>/dev/null); do
    for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    sleep 0.5
    for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr --address "$CONTAINERD_SOCK" -n "$ns" containers ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n "$ns" containers delete "$id" >/dev/null 2>&1 || true
      # Sandboxes torn down this way never saw CNI DEL: drop libcni's cached result of the
      # loopback network containerd adds to each (ours are named after the sandbox id).
      rm -f "/var/lib/cni/results/cni-loopback-$id-lo"
    done
  done
}

# _kill_cgroup_leftovers: every process still in the cluster's cgroup tree is one `up`
# started (directly or through containerd): SIGTERM, then SIGKILL, by pid.
_kill_cgroup_leftovers() {
  local pids pid tries=0
  pids=$(cg_pids)
  [ -n "$pids" ] || return 0
  log "stopping $(wc -w <<<"$pids") leftover process(es) in the cluster's cgroups: $(tr '\n' ' ' <<<"$pids")"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  while [ -n "$(cg_pids)" ] && [ "$tries" -lt 25 ]; do sleep 0.2; tries=$((tries + 1)); done
  for pid in $(cg_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  tries=0
  while [ -n "$(cg_pids)" ] && [ "$tries" -lt 25 ]; do sleep 0.2; tries=$((tries + 1)); done
  [ -z "$(cg_pids)" ] || log "WARNING: still in the cluster's cgroups: $(cg_pids | tr '\n' ' ')"
}

# Mount points under the state dir (pod volumes, container rootfs, netns, shm), deepest first.
# /proc/mounts escapes spaces as \040: the paths here never contain any.
state_mounts() { awk -v p="$LG_STATE/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r; }

_unmount_state() {
  local m n=0 tries
  for tries in 1 2 3; do
    [ -n "$(state_mounts)" ] || break
    for m in $(state_mounts); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
      n=$((n + 1))
    done
  done
  [ "$n" -eq 0 ] || log "unmounted $n mount(s) under $LG_STATE"
  [ -z "$(state_mounts)" ] || log "WARNING: still mounted: $(state_mounts | tr '\n' ' ')"
}

# outside_record: remembers which of LG_OUTSIDE_PATHS the cluster is about to create.
outside_record() {
  local p
  [ -f "$LG_REC_OUTSIDE" ] && return 0
  for p in "${LG_OUTSIDE_PATHS[@]}"; do
    [ -e "$p" ] || echo "$p"
  done >"$LG_REC_OUTSIDE"
}

# Files the cluster leaves outside its state dir.
_remove_outside_files() {
  local f
  # kubelet's fixed symlink dir (ContainerLogsDir); only links into our pod-logs dir.
  for f in /var/log/containers/*.log; do
    [ -L "$f" ] || continue
    case "$(readlink "$f")" in "$POD_LOGS_DIR"/*) rm -f "$f" ;; esac
  done
  # libcni's result cache, named after our network.
  rm -f /var/lib/cni/results/"$CNI_NETWORK_NAME"-* 2>/dev/null || true
  # Directories the cluster created: its sockets and empty directories go, anything else stays.
  [ -f "$LG_REC_OUTSIDE" ] || return 0
  while read -r f; do
    [ -d "$f" ] || continue
    find "$f" -depth \( -type s -o -type d -empty \) -delete 2>/dev/null || true
    if [ -e "$f" ]; then
      log "WARNING: $f (created by up) is not empty, left in place: $(find "$f" | head -n 5 | tr '\n' ' ')"
    fi
  done <"$LG_REC_OUTSIDE"
}

cluster_teardown() {
  local c
  mkdir -p "$LG_RUN"
  stop_daemon metrics-server 10
  stop_daemon kube-controller-manager 10
  stop_daemon kube-scheduler 10
  _drain_pods
  stop_daemon kubelet 20
  stop_daemon kube-proxy 10
  _ctr_cleanup
  stop_daemon containerd 20
  stop_daemon kube-apiserver 20
  stop_daemon etcd 20
  for c in "${LG_COMPONENTS[@]}"; do stop_daemon "$c" 5; done # anything not covered above
  _kill_cgroup_leftovers
  _unmount_state

  # kube-proxy's own cleanup of its iptables rules; then remove every chain still new.
  if [ -x "$(K8S_BIN kube-proxy)" ] && [ -f "$LG_REC_IPT_CHAINS" ]; then
    timeout 60 "$(K8S_BIN kube-proxy)" --cleanup --v=0 >>"$LG_LOGS/kube-proxy.log" 2>&1 || true
  fi
  ipt_sweep
  net_teardown
  cg_teardown || log "WARNING: some cgroups could not be removed"
  sysctl_restore
  _remove_outside_files

  # Everything but the logs goes: the next up starts a fresh cluster.
  if [ -d "$LG_STATE" ] && [ -z "$(state_mounts)" ]; then
    find "$LG_STATE" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} +
  fi
}

# cluster_leftovers: prints what of a cluster exists (processes, links, cgroups, mounts);
# empty output means nothing.
cluster_leftovers() {
  local c
  for c in "${LG_COMPONENTS[@]}"; do
    [ -f "$(pid_file "$c")" ] && echo "pidfile:$c"
  done
  ip link show "$NODE_IF" >/dev/null 2>&1 && echo "link:$NODE_IF"
  ip link show "$BRIDGE_IF" >/dev/null 2>&1 && echo "link:$BRIDGE_IF"
  [ -f "$LG_REC_CGROUP_BASE" ] && echo "cgroup:$(cg_base)"
  [ -n "$(state_mounts)" ] && echo "mounts"
  [ -f "$LG_REC_IPT_CHAINS" ] && echo "iptables-record"
  return 0
}
