# Configuration and start-up of each cluster component. Sourced, never run.
# shellcheck shell=bash
#
# Every component runs as a host process started by start_daemon (lib/proc.sh); listeners are
# bound to the node address 198.18.255.1 or to 127.0.0.1, never to 0.0.0.0.

K8S_BIN() { echo "$(bin_dir_k8s)/$1"; }

_curl_etcd() {
  curl -sf --max-time 2 --cacert "$LG_PKI/etcd-ca.crt" --cert "$LG_PKI/apiserver-etcd-client.crt" \
    --key "$LG_PKI/apiserver-etcd-client.key" "https://127.0.0.1:$ETCD_CLIENT_PORT/$1"
}
_curl_api() {
  curl -sf --max-time 3 --cacert "$LG_PKI/ca.crt" --cert "$LG_PKI/admin.crt" \
    --key "$LG_PKI/admin.key" "$APISERVER_URL/$1"
}
# Component health endpoints on 127.0.0.1 (self-signed serving certs: -k is fine on loopback).
_curl_local() { curl -skf --max-time 2 "$1"; }

start_etcd() {
  mkdir -p "$LG_STATE/etcd"
  chmod 700 "$LG_STATE/etcd"
  # --unsafe-no-fsync: the cluster is disposable (down wipes it) and fsync on this VM's disk is
  # the slowest part of every write; a crash just means `down && up`.
  start_daemon etcd "$(bin_dir_etcd)/etcd" \
    --name "$NODE_NAME" --data-dir "$LG_STATE/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "$NODE_NAME=http://127.0.0.1:$ETCD_PEER_PORT" \
    --listen-metrics-urls "http://127.0.0.1:2381" \
    --cert-file "$LG_PKI/etcd-server.crt" --key-file "$LG_PKI/etcd-server.key" \
    --client-cert-auth --trusted-ca-file "$LG_PKI/etcd-ca.crt" \
    --unsafe-no-fsync --snapshot-count 10000 --log-level warn
  wait_component etcd 60 "etcd /health" _curl_etcd health
}

# The audit log: what was done to workloads (evictions, resizes, rollbacks, taints, quotas),
# one JSON line per request at Metadata level (evictions at Request level: their body says
# whether they were dry runs), everything else not logged. Tests count
# LeakGuard's side effects in it (e2e/cluster/audit-log prints its path).
AUDIT_LOG="$LG_STATE/audit/audit.log"
# Bumped whenever start_apiserver's flags change: `up` restarts an API server of another version.
APISERVER_CONFIG_VERSION=3

write_audit_policy() {
  mkdir -p "$LG_STATE/audit"
  cat >"$LG_STATE/audit/policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  verbs: [create]
  resources: [{group: "", resources: [pods/eviction]}]
- level: Metadata
  verbs: [create, update, patch, delete]
  resources:
  - {group: "", resources: [pods, pods/resize, nodes, resourcequotas, limitranges, configmaps]}
  - {group: apps, resources: [deployments, statefulsets, daemonsets, replicasets]}
- level: None
POLICY
}

# --etcd-compaction-interval=1m (default 5m): a new cluster's history moves past its first
# resourceVersions within two minutes, so watches from an old one get 410 Gone as on any cluster
# that has run a while, which the operator (and its tests) must handle.
start_apiserver() {
  write_audit_policy
  start_daemon kube-apiserver "$(K8S_BIN kube-apiserver)" \
    --advertise-address "$NODE_IP" --bind-address "$NODE_IP" --secure-port "$APISERVER_PORT" \
    --etcd-servers "https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --etcd-cafile "$LG_PKI/etcd-ca.crt" \
    --etcd-certfile "$LG_PKI/apiserver-etcd-client.crt" \
    --etcd-keyfile "$LG_PKI/apiserver-etcd-client.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$LG_PKI/apiserver.crt" --tls-private-key-file "$LG_PKI/apiserver.key" \
    --client-ca-file "$LG_PKI/ca.crt" \
    --kubelet-client-certificate "$LG_PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$LG_PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.$CLUSTER_DNS_DOMAIN" \
    --service-account-key-file "$LG_PKI/sa.pub" \
    --service-account-signing-key-file "$LG_PKI/sa.key" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --requestheader-client-ca-file "$LG_PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$LG_PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$LG_PKI/front-proxy-client.key" \
    --enable-aggregator-routing=true \
    --etcd-compaction-interval=1m \
    --audit-policy-file "$LG_STATE/audit/policy.yaml" --audit-log-path "$AUDIT_LOG" \
    --audit-log-maxsize 64 --audit-log-maxbackup 2 --audit-log-format json \
    --profiling=false --v=1
  wait_component kube-apiserver 120 "kube-apiserver /readyz" _curl_api readyz
  echo "$APISERVER_CONFIG_VERSION" >"$LG_STATE/apiserver.config-version"
}

# True when the running API server was started with this version of start_apiserver's flags.
apiserver_config_current() {
  [ "$(cat "$LG_STATE/apiserver.config-version" 2>/dev/null)" = "$APISERVER_CONFIG_VERSION" ]
}

start_controller_manager() {
  local kc="$LG_KUBECONFIGS/controller-manager.kubeconfig"
  start_daemon kube-controller-manager "$(K8S_BIN kube-controller-manager)" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
    --cluster-name "$CLUSTER_NAME" \
    --cluster-signing-cert-file "$LG_PKI/ca.crt" --cluster-signing-key-file "$LG_PKI/ca.key" \
    --root-ca-file "$LG_PKI/ca.crt" \
    --service-account-private-key-file "$LG_PKI/sa.key" \
    --use-service-account-credentials=true \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --controllers '*,bootstrapsigner,tokencleaner' \
    --profiling=false --v=1
}

start_scheduler() {
  local kc="$LG_KUBECONFIGS/scheduler.kubeconfig"
  start_daemon kube-scheduler "$(K8S_BIN kube-scheduler)" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false --profiling=false --v=1
}

wait_controllers() {
  wait_component kube-controller-manager 90 "kube-controller-manager /healthz" \
    _curl_local https://127.0.0.1:10257/healthz
  wait_component kube-scheduler 90 "kube-scheduler /healthz" _curl_local https://127.0.0.1:10259/healthz
}

write_containerd_config() {
  mkdir -p "$LG_CONFIG" "$CNI_CONF_DIR" "$CNI_IPAM_DIR" "$(dirname "$CONTAINERD_SOCK")" \
    "$CONTAINERD_ROOT" "$CONTAINERD_STATE" "$RUNC_ROOT"
  # Own root, state, socket, runc root and netns directory: nothing shared with a containerd
  # the machine might run, and everything under $LG_STATE for down to unmount and delete.
  cat >"$LG_CONFIG/containerd.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$CONTAINERD_STATE"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.internal.v1.opt"]
  path = "$CONTAINERD_ROOT/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Pod network namespaces are bind-mounted under the state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # This machine withholds CAP_SYS_RESOURCE even from root, so runc cannot lower a process's
  # oom_score_adj (pause gets -998, Guaranteed pods -997): without this every sandbox fails
  # with "can't get final child's PID from pipe: EOF" (nsexec: "failed to update
  # /proc/self/oom_score_adj: Permission denied"). With it, scores below containerd's own (0)
  # are raised to 0.
  restrict_oom_score_adj = true
  max_container_log_line_size = 16384
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # cgroupfs, as kubelet's cgroupDriver: there is no systemd on this machine.
        SystemdCgroup = false
        Root = "$RUNC_ROOT"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOF

  # bridge + host-local (+ portmap for hostPort). containerd adds the loopback network itself.
  # isGateway=false: the bridge address is ours (net_setup), and the plugin then leaves the
  # host-wide ip_forward alone; the default route points pods at that address instead.
  cat >"$CNI_CONF_DIR/10-$CNI_NETWORK_NAME.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK_NAME",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE_IF",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$CNI_IPAM_DIR",
        "ranges": [[{ "subnet": "$POD_CIDR", "rangeStart": "$POD_RANGE_START",
                      "rangeEnd": "$POD_RANGE_END", "gateway": "$POD_GW" }]],
        "routes": [{ "dst": "0.0.0.0/0", "gw": "$POD_GW" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

start_containerd() {
  write_containerd_config
  # containerd-shim-runc-v2 and runc must come from the same place as containerd.
  start_daemon containerd containerd --config "$LG_CONFIG/containerd.toml" --log-level warn
  wait_component containerd 30 "containerd socket" lg_ctr version
}

write_kubelet_config() {
  local base
  base=$(cg_base)
  mkdir -p "$KUBELET_ROOT" "$POD_LOGS_DIR"
  # In-cluster DNS is absent (no DNS server image can be had here). clusterDNS points at the
  # pod's own loopback so a lookup fails at once instead of timing out, and kubelet does not
  # emit a MissingClusterDNS warning Event for every pod (LeakGuard's tests read Events).
  printf 'nameserver 127.0.0.1\n' >"$LG_CONFIG/resolv.conf"
  # e2e/cluster/kubelet restart --memory-pressure: a soft threshold the node is over, with a
  # grace period no test outlasts, so the node reports MemoryPressure and evicts nothing.
  local soft_eviction=""
  if [ -n "${LG_KUBELET_SOFT_MEMORY_AVAILABLE:-}" ]; then
    soft_eviction="evictionSoft: {memory.available: \"$LG_KUBELET_SOFT_MEMORY_AVAILABLE\"}
evictionSoftGracePeriod: {memory.available: 24h}
"
  fi
  cat >"$LG_CONFIG/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroup v1 host: 1.35+ refuse it by default; 1.34 warns.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: $base
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
failSwapOn: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $LG_PKI/ca.crt}
authorization: {mode: Webhook}
# No tlsCertFile: kubelet makes a self-signed serving cert; metrics-server uses
# --kubelet-insecure-tls and the API server does not verify kubelets (no kubelet CA flag).
rotateCertificates: false
serverTLSBootstrap: false
clusterDomain: $CLUSTER_DNS_DOMAIN
clusterDNS: [127.0.0.1]
resolvConf: $LG_CONFIG/resolv.conf
podLogsDir: $POD_LOGS_DIR
# Imported images can never be pulled again: image GC must never remove them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
evictionPressureTransitionPeriod: 30s
${soft_eviction}maxPods: 110
serializeImagePulls: false
runtimeRequestTimeout: 2m
EOF
}

start_kubelet() {
  write_kubelet_config
  # --containerd: cAdvisor's own containerd client. Without it cAdvisor looks at
  # /run/containerd/containerd.sock, finds nothing, and kubelet's /metrics/resource and
  # summary API lose per-container stats (metrics-server, `kubectl top` then see no pods).
  start_daemon kubelet "$(K8S_BIN kubelet)" \
    --config "$LG_CONFIG/kubelet.yaml" \
    --kubeconfig "$LG_KUBECONFIGS/kubelet.kubeconfig" \
    --root-dir "$KUBELET_ROOT" --cert-dir "$KUBELET_ROOT/pki" \
    --node-ip "$NODE_IP" --hostname-override "$NODE_NAME" \
    --containerd "$CONTAINERD_SOCK" \
    --v=1
  wait_component kubelet 90 "kubelet /healthz" _curl_local http://127.0.0.1:10248/healthz
  wait_component kubelet 60 "node $NODE_NAME registered" lg_kubectl get node "$NODE_NAME"
}

start_kube_proxy() {
  cat >"$LG_CONFIG/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $LG_KUBECONFIGS/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
detectLocalMode: ClusterCIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
iptables:
  # true would set net.ipv4.conf.all.route_localnet=1 host-wide.
  localhostNodePorts: false
  masqueradeAll: false
  syncPeriod: 30s
  minSyncPeriod: 1s
# 0 = leave the host's conntrack sysctls alone.
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
  start_daemon kube-proxy "$(K8S_BIN kube-proxy)" --config "$LG_CONFIG/kube-proxy.yaml" --v=1
  wait_component kube-proxy 60 "kube-proxy /healthz" _curl_local http://127.0.0.1:10256/healthz
  # Rules for the kubernetes service exist once kube-proxy has synced.
  wait_component kube-proxy 60 "kube-proxy rules for $SERVICE_API_IP" _ipt_has_api_service
}

_ipt_has_api_service() { iptables-save -t nat | grep -- "-d $SERVICE_API_IP/32 .* -j KUBE-SVC-" >/dev/null; }

# The objects that put a host-process metrics-server behind the aggregation layer: RBAC (as
# upstream's manifest), a selector-less Service with a hand-made EndpointSlice pointing at the
# node address, and the APIService with our CA as caBundle.
metrics_server_manifest() {
  cat <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:metrics-server
rules:
- apiGroups: [""]
  resources: [nodes/metrics]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
- apiGroups: [metrics.k8s.io]
  resources: [pods, nodes]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:metrics-server
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:metrics-server}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-server:system:auth-delegator
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: metrics-server-auth-reader
  namespace: kube-system
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: system:metrics-server}
---
apiVersion: v1
kind: Service
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {app.kubernetes.io/name: metrics-server, app.kubernetes.io/managed-by: leakguard-e2e}
spec:
  ports:
  - {name: https, port: 443, protocol: TCP, targetPort: $METRICS_SERVER_PORT}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-host
  namespace: kube-system
  labels:
    kubernetes.io/service-name: metrics-server
    endpointslice.kubernetes.io/managed-by: leakguard-e2e
addressType: IPv4
endpoints:
- addresses: ["$NODE_IP"]
  conditions: {ready: true}
  nodeName: $NODE_NAME
ports:
- {name: https, port: $METRICS_SERVER_PORT, protocol: TCP}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
spec:
  group: metrics.k8s.io
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  service: {name: metrics-server, namespace: kube-system, port: 443}
  caBundle: $(base64 -w0 <"$LG_PKI/ca.crt")
EOF
}

start_metrics_server() {
  local kc="$LG_KUBECONFIGS/metrics-server-client.kubeconfig"
  metrics_server_manifest | lg_kubectl apply --server-side --force-conflicts \
    --field-manager leakguard-e2e -f - >/dev/null
  start_daemon metrics-server "$(bin_dir_metrics)/metrics-server" \
    --secure-port "$METRICS_SERVER_PORT" --bind-address "$NODE_IP" \
    --tls-cert-file "$LG_PKI/metrics-server.crt" --tls-private-key-file "$LG_PKI/metrics-server.key" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --kubelet-insecure-tls \
    --kubelet-preferred-address-types InternalIP \
    --kubelet-use-node-status-port \
    --metric-resolution 15s \
    --v=1
}

_apiservice_available() {
  [ "$(lg_kubectl get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = "True" ]
}
_node_ready() {
  [ "$(lg_kubectl get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = "True" ]
}
_default_sa() { lg_kubectl -n default get serviceaccount default; }
