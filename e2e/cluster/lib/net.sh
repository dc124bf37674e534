# Host networking of the cluster: interfaces, containment rules, iptables and sysctl
# bookkeeping. Sourced, never run.
# shellcheck shell=bash
#
# Layout (all in 198.18.0.0/15, RFC 2544, never a private range nor the machine's eth0):
#   lg0 (veth, peer lg0p)  198.18.255.1/32  node address: apiserver, kubelet, metrics-server
#   lgbr0 (bridge)         198.18.0.1/24    pod gateway; pods get 198.18.0.10-250 (host-local)
#   service CIDR           198.19.0.0/24    kube-proxy DNATs 198.19.0.1:443 -> 198.18.255.1:6443
# IP forwarding is switched on for lgbr0 only (net.ipv4.conf.lgbr0.forwarding), never
# host-wide: the bridge CNI plugin runs with isGateway=false so it does not flip ip_forward.
# Forwarding is needed for pod -> service -> pod (DNAT on the host, routed lgbr0 -> lgbr0).

SYSCTLS_TOUCHED=(
  # kubelet (protectKernelDefaults=false) sets these: see kubelet's setupKernelTunables.
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  # kube-proxy may set these; the CNI bridge plugin would set ip_forward with isGateway=true.
  net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.ipv4.conf.all.route_localnet net.ipv4.ip_forward
)

# sysctl_record: saves the values to restore on down (only the first up of a cluster records).
sysctl_record() {
  [ -s "$LG_REC_SYSCTL" ] && return 0
  local k v
  for k in "${SYSCTLS_TOUCHED[@]}"; do
    v=$(sysctl -n "$k" 2>/dev/null) || continue
    printf '%s=%s\n' "$k" "$v"
  done >"$LG_REC_SYSCTL"
}

sysctl_restore() {
  [ -f "$LG_REC_SYSCTL" ] || return 0
  local line k v cur
  while IFS= read -r line; do
    k="${line%%=*}" v="${line#*=}"
    cur=$(sysctl -n "$k" 2>/dev/null) || continue
    if [ "$cur" != "$v" ]; then
      sysctl -qw "$k=$v" && log "restored sysctl $k=$v (was $cur)"
    fi
  done <"$LG_REC_SYSCTL"
}

# The user-defined chains that exist in each table, as "FAMILY TABLE CHAIN" lines.
_ipt_chains() {
  local fam tab
  for fam in iptables ip6tables; do
    for tab in filter nat mangle raw; do
      "$fam-save" -t "$tab" 2>/dev/null | sed -n "s/^:\([^ ]*\) - .*/$fam $tab \1/p"
    done
  done
}

# ipt_record: chains present before the cluster, so down removes exactly the ones it added
# (kube-proxy's and kubelet's KUBE-*, portmap's CNI-*, our LG-E2E-*).
ipt_record() {
  [ -f "$LG_REC_IPT_CHAINS" ] && return 0
  _ipt_chains >"$LG_REC_IPT_CHAINS"
}

# ipt_sweep: deletes every chain the cluster added and the rules that jump to them, in one
# iptables-restore --noflush transaction per table. Without a record (state wiped by hand) it
# falls back to the names only this cluster creates on this machine.
ipt_sweep() {
  local fam tab new chain script
  for fam in iptables ip6tables; do
    for tab in filter nat mangle raw; do
      if [ -f "$LG_REC_IPT_CHAINS" ]; then
        new=$(_ipt_chains | awk -v f="$fam" -v t="$tab" '$1 == f && $2 == t { print $3 }' |
          grep -vxF -f <(awk -v f="$fam" -v t="$tab" '$1 == f && $2 == t { print $3 }' \
            "$LG_REC_IPT_CHAINS") || true)
      else
        new=$(_ipt_chains | awk -v f="$fam" -v t="$tab" '$1 == f && $2 == t { print $3 }' |
          grep -E '^(KUBE-|LG-E2E-|CNI-HOSTPORT-|CNI-DN-)' || true)
      fi
      [ -n "$new" ] || continue
      script="*$tab"$'\n'
      # Rules in older chains that jump to a new chain (rules inside new chains go with -F).
      script+=$("$fam-save" -t "$tab" 2>/dev/null | awk -v list="$new" '
        BEGIN { n = split(list, a, "\n"); for (i = 1; i <= n; i++) isnew[a[i]] = 1 }
        /^-A / {
          own = $2; tgt = ""
          for (i = 3; i < NF; i++) if ($i == "-j" || $i == "-g") tgt = $(i + 1)
          if (!(own in isnew) && (tgt in isnew)) { sub(/^-A /, "-D "); print }
        }')$'\n'
      while read -r chain; do script+="-F $chain"$'\n'; done <<<"$new"
      while read -r chain; do script+="-X $chain"$'\n'; done <<<"$new"
      script+="COMMIT"$'\n'
      if "$fam-restore" --noflush <<<"$script"; then
        log "removed $(wc -l <<<"$new") $fam $tab chain(s): $(echo "$new" | tr '\n' ' ')"
      else
        log "WARNING: could not remove $fam $tab chains: $(echo "$new" | tr '\n' ' ')"
      fi
    done
  done
}

# net_setup: node address, pod bridge and the containment rules.
net_setup() {
  if ! ip link show "$NODE_IF" >/dev/null 2>&1; then
    ip link add "$NODE_IF" type veth peer name "$NODE_IF_PEER"
  fi
  # No IPv6 on our links: nothing of the cluster uses it, and no link-local noise.
  sysctl -qw "net.ipv6.conf.$NODE_IF.disable_ipv6=1" "net.ipv6.conf.$NODE_IF_PEER.disable_ipv6=1" || true
  ip addr replace "$NODE_IP/32" dev "$NODE_IF"
  ip link set "$NODE_IF_PEER" up
  ip link set "$NODE_IF" up

  if ! ip link show "$BRIDGE_IF" >/dev/null 2>&1; then
    ip link add "$BRIDGE_IF" type bridge
  fi
  sysctl -qw "net.ipv6.conf.$BRIDGE_IF.disable_ipv6=1" || true
  ip addr replace "$POD_GW/${POD_CIDR#*/}" dev "$BRIDGE_IF"
  ip link set "$BRIDGE_IF" up
  sysctl -qw "net.ipv4.conf.$BRIDGE_IF.forwarding=1" "net.ipv4.conf.$BRIDGE_IF.send_redirects=0"

  _containment_rules
}

# Containment: pods may talk to each other and to the cluster's own addresses only.
#  - mangle PREROUTING: anything from the pod bridge not addressed into 198.18.0.0/15 is
#    dropped before routing (no traffic to eth0's network, the internet or private ranges).
#  - filter FORWARD: nothing is routed between the pod bridge and any other interface.
#  - filter INPUT: from the pod bridge the host accepts only the cluster's ports (services
#    of the machine bound to 0.0.0.0 stay out of reach), plus replies and ICMP.
_containment_rules() {
  local c tab chain parent
  for c in "mangle LG-E2E-PRE PREROUTING" "filter LG-E2E-FWD FORWARD" "filter LG-E2E-IN INPUT"; do
    read -r tab chain parent <<<"$c"
    iptables -t "$tab" -N "$chain" 2>/dev/null || iptables -t "$tab" -F "$chain"
    # Inserted first. kube-proxy later prepends its own jumps to INPUT/FORWARD, but those only
    # accept service traffic and replies; mangle PREROUTING (the real fence) it never touches.
    iptables -t "$tab" -C "$parent" -j "$chain" 2>/dev/null || iptables -t "$tab" -I "$parent" 1 -j "$chain"
  done
  iptables -t mangle -A LG-E2E-PRE -i "$BRIDGE_IF" ! -d "$CLUSTER_SUPERNET" -j DROP
  iptables -t filter -A LG-E2E-FWD -i "$BRIDGE_IF" -o "$BRIDGE_IF" -j ACCEPT
  iptables -t filter -A LG-E2E-FWD -i "$BRIDGE_IF" -j DROP
  iptables -t filter -A LG-E2E-FWD -o "$BRIDGE_IF" -j DROP
  iptables -t filter -A LG-E2E-IN -i "$BRIDGE_IF" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
  iptables -t filter -A LG-E2E-IN -i "$BRIDGE_IF" -p icmp -j ACCEPT
  iptables -t filter -A LG-E2E-IN -i "$BRIDGE_IF" -d "$CLUSTER_SUPERNET" -p tcp \
    -m multiport --dports "$POD_TO_HOST_TCP_PORTS" -j ACCEPT
  iptables -t filter -A LG-E2E-IN -i "$BRIDGE_IF" -j REJECT
}

# net_teardown: veths left on the bridge (a pod whose netns outlived its sandbox), the bridge,
# the node address pair. Rules are removed by ipt_sweep.
net_teardown() {
  local v
  if ip link show "$BRIDGE_IF" >/dev/null 2>&1; then
    for v in $(ip -o link show master "$BRIDGE_IF" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
      ip link del "$v" 2>/dev/null && log "removed $v (left on $BRIDGE_IF)"
    done
    ip link del "$BRIDGE_IF" && log "removed $BRIDGE_IF"
  fi
  if ip link show "$NODE_IF" >/dev/null 2>&1; then
    ip link del "$NODE_IF" && log "removed $NODE_IF/$NODE_IF_PEER"
  fi
}
