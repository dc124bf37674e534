# Shared settings for the local cluster scripts. Sourced, never run.
# Every address lives in 198.18.0.0/15 (RFC 2544, benchmarking): not a private range, never routed.
# shellcheck shell=bash disable=SC2034 # settings used by the scripts that source this file

K8S_VERSION="${LG_K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${LG_ETCD_VERSION:-v3.6.16}"
METRICS_SERVER_VERSION="${LG_METRICS_SERVER_VERSION:-v0.8.0}"
HELM_VERSION="${LG_HELM_VERSION:-v3.19.5}"
# Prometheus and promtool, for the alerts' tests (the Go module's v0.X.Y is Prometheus 3.X.Y).
PROMETHEUS_VERSION="${LG_PROMETHEUS_VERSION:-v0.316.0}"

LG_CACHE="${LG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/leakguard}"
LG_BIN_CACHE="$LG_CACHE/bin"
# Built image archives (oci-archive) and buildah's own storage: kept across down/up.
LG_IMAGE_CACHE="$LG_CACHE/images"
LG_BUILDAH_ROOT="$LG_CACHE/buildah"
# Cluster state (certificates, etcd data, logs, pids) lives outside the repository.
# `down` wipes all of it except logs/, so every `up` starts from a fresh cluster.
LG_STATE="${LG_STATE:-/var/lib/leakguard-e2e}"
LG_RUN="$LG_STATE/run"
LG_LOGS="$LG_STATE/logs"
LG_PKI="$LG_STATE/pki"
LG_KUBECONFIGS="$LG_STATE/kubeconfig"
LG_CONFIG="$LG_STATE/config"
ADMIN_KUBECONFIG="$LG_KUBECONFIGS/admin.kubeconfig"
# Records `up` writes so that `down` undoes exactly what was done, even from another shell
# (another cgroup) or after a crash.
LG_REC_CGROUP_BASE="$LG_STATE/cgroup-base"     # cgroup path (same in every hierarchy)
LG_REC_CGROUP_MADE="$LG_STATE/cgroups-created" # directories up created, in creation order
LG_REC_SYSCTL="$LG_STATE/sysctl-before"        # sysctls kubelet/kube-proxy may change
LG_REC_IPT_CHAINS="$LG_STATE/iptables-chains-before"
LG_REC_OUTSIDE="$LG_STATE/outside-paths-created"
# Paths outside $LG_STATE that the components insist on, whatever their flags say:
# containerd 1.6 shims put their sockets in /run/containerd/s, kubelet its device-plugin
# socket in /var/lib/kubelet/device-plugins and container log links in /var/log/containers,
# libcni its result cache in /var/lib/cni. Those that did not exist before `up` are removed by
# `down` (only sockets and empty directories: nothing else is deleted there).
LG_OUTSIDE_PATHS=(/run/containerd /var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni)

NODE_NAME="${LG_NODE_NAME:-lg-node}"
# The node address lives on lg0, one end of a veth pair whose peer (lg0p) also stays in the
# host: this kernel has no `dummy` link type, and kubelet refuses a loopback node IP.
NODE_IF="lg0"
NODE_IF_PEER="lg0p"
NODE_IP="198.18.255.1"
BRIDGE_IF="lgbr0"
POD_CIDR="198.18.0.0/24"
POD_GW="198.18.0.1"
POD_RANGE_START="198.18.0.10"
POD_RANGE_END="198.18.0.250"
SERVICE_CIDR="198.19.0.0/24"
SERVICE_API_IP="198.19.0.1"
# Everything a pod may talk to lies in this block (pods, services, the node address).
CLUSTER_SUPERNET="198.18.0.0/15"
CLUSTER_DNS_DOMAIN="cluster.local"
CLUSTER_NAME="leakguard-e2e"
CNI_NETWORK_NAME="leakguard-e2e"

APISERVER_PORT=6443
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
METRICS_SERVER_PORT=4443
KUBELET_PORT=10250
# Host ports pods may open on the node address (API server, metrics-server, kubelet). Anything
# else on the host (including what listens on 0.0.0.0) is rejected for traffic from the pod bridge.
POD_TO_HOST_TCP_PORTS="${LG_POD_TO_HOST_TCP_PORTS:-$APISERVER_PORT,$METRICS_SERVER_PORT,$KUBELET_PORT}"

APISERVER_URL="https://$NODE_IP:$APISERVER_PORT"

CONTAINERD_ROOT="$LG_STATE/containerd"
CONTAINERD_STATE="$LG_STATE/containerd-state"
CONTAINERD_SOCK="$LG_RUN/containerd/containerd.sock"
RUNC_ROOT="$LG_STATE/runc"
CNI_CONF_DIR="$LG_STATE/cni/net.d"
CNI_IPAM_DIR="$LG_STATE/cni/ipam"
CNI_BIN_DIR="/usr/lib/cni"
KUBELET_ROOT="$LG_STATE/kubelet"
POD_LOGS_DIR="$LG_STATE/pod-logs"

PAUSE_IMAGE="localhost/pause:3.10"

# Components in start order; down stops them in reverse (with pods drained first).
LG_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet
  kube-proxy metrics-server)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# phase NAME: starts timing a phase; phase_end prints its duration. Used for the summary.
LG_PHASES=()
phase() { LG_PHASE_NAME="$1"; LG_PHASE_START=$(date +%s.%N); log "== $1"; }
phase_end() {
  local d
  d=$(awk -v a="$LG_PHASE_START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  LG_PHASES+=("$(printf '%-42s %6ss' "$LG_PHASE_NAME" "$d")")
  log "== $LG_PHASE_NAME done in ${d}s"
}
print_phases() { local p; for p in "${LG_PHASES[@]}"; do log "   $p"; done; }

bin_dir_k8s() { echo "$LG_BIN_CACHE/kubernetes-$K8S_VERSION"; }
bin_dir_etcd() { echo "$LG_BIN_CACHE/etcd-$ETCD_VERSION"; }
bin_dir_metrics() { echo "$LG_BIN_CACHE/metrics-server-$METRICS_SERVER_VERSION"; }
bin_dir_helm() { echo "$LG_BIN_CACHE/helm-$HELM_VERSION"; }
bin_dir_prometheus() { echo "$LG_BIN_CACHE/prometheus-$PROMETHEUS_VERSION"; }

# The PATH every script and test uses: the pinned binaries first.
lg_path() {
  echo "$(bin_dir_k8s):$(bin_dir_etcd):$(bin_dir_metrics):$(bin_dir_helm):$(bin_dir_prometheus):$PATH"
}

# kubectl as the cluster admin, whatever KUBECONFIG the caller has.
lg_kubectl() { "$(bin_dir_k8s)/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ctr against this cluster's containerd (never the machine's default socket), CRI namespace.
lg_ctr() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# tail_log NAME [LINES]: the end of a component's log, for error reports.
tail_log() {
  local f="$LG_LOGS/$1.log"
  [ -f "$f" ] || return 0
  log "---- last ${2:-40} lines of $f ----"
  tail -n "${2:-40}" "$f" >&2 || true
  log "---- end of $f ----"
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD every 0.5s; returns 1 on timeout.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}
