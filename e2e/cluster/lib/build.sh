# Builds the cluster's binaries from Go modules with the ordinary go client, cached by version
# under $LG_BIN_CACHE. Sourced by e2e/cluster/up and e2e/cluster/build-binaries.
# A finished build leaves a .complete marker; a half-finished one is rebuilt from scratch.

# shellcheck shell=bash

GO_BUILD_P="${LG_GO_BUILD_P:-2}"

_go_env() {
  export GOFLAGS="-buildvcs=false -mod=mod"
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
}

_build_date() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# Writes a wrapper module that requires k8s.io/kubernetes and points each staging module
# (required at v0.0.0 with a replace into ./staging upstream) at its published v0.X.Y.
_k8s_wrapper() {
  local dir="$1" modfile staging_ver
  staging_ver="v0.${K8S_VERSION#v1.}"
  ( cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >dl.json ) ||
    die "could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  modfile=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$dir/dl.json")
  {
    echo "module leakguard.local/k8sbin"
    echo
    echo "go 1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    # Every staging module named by a ./staging replace in the real go.mod.
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$modfile" |
      while read -r m; do echo "replace $m => $m $staging_ver"; done
  } >"$dir/go.mod"
}

build_k8s() {
  local out; out=$(bin_dir_k8s)
  [ -f "$out/.complete" ] && { log "kubernetes $K8S_VERSION: cached in $out"; return 0; }
  _go_env
  local src="$LG_CACHE/src/kubernetes-$K8S_VERSION" tmp="$out.partial"
  rm -rf "$src" "$tmp"; mkdir -p "$src" "$tmp"
  _k8s_wrapper "$src"
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(_build_date)"
  done
  ( cd "$src" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >/dev/null 2>&1 ) ||
    ( cd "$src" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" ) ||
    die "go get k8s.io/kubernetes@$K8S_VERSION failed"
  local cmd t0
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    t0=$(date +%s)
    log "building $cmd $K8S_VERSION (go build -p $GO_BUILD_P; a cold build takes minutes)"
    ( cd "$src" && go build -p "$GO_BUILD_P" -tags selinux,notest -trimpath \
        -ldflags "-s -w $ld" -o "$tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd" ) ||
      die "building $cmd failed"
    log "built $cmd in $(( $(date +%s) - t0 ))s"
  done
  touch "$tmp/.complete"
  rm -rf "$out"; mv "$tmp" "$out"
}

build_etcd() {
  local out; out=$(bin_dir_etcd)
  [ -f "$out/.complete" ] && { log "etcd $ETCD_VERSION: cached in $out"; return 0; }
  _go_env
  local src="$LG_CACHE/src/etcd-$ETCD_VERSION" tmp="$out.partial" t0
  rm -rf "$src" "$tmp"; mkdir -p "$src" "$tmp"
  # server/v3's go.mod replaces its siblings by relative path, which a dependency's go.mod may
  # not do for us: require each sibling at the same version instead.
  cat >"$src/go.mod" <<MOD
module leakguard.local/etcdbin

go 1.24

require (
	go.etcd.io/etcd/server/v3 $ETCD_VERSION
	go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
)
MOD
  t0=$(date +%s)
  log "building etcd $ETCD_VERSION"
  ( cd "$src" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null &&
    go build -p "$GO_BUILD_P" -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 ) ||
    die "building etcd failed"
  log "built etcd in $(( $(date +%s) - t0 ))s"
  touch "$tmp/.complete"; rm -rf "$out"; mv "$tmp" "$out"
}

build_metrics_server() {
  local out; out=$(bin_dir_metrics)
  [ -f "$out/.complete" ] && { log "metrics-server $METRICS_SERVER_VERSION: cached in $out"; return 0; }
  _go_env
  local src="$LG_CACHE/src/metrics-server-$METRICS_SERVER_VERSION" tmp="$out.partial" t0
  rm -rf "$src" "$tmp"; mkdir -p "$src" "$tmp"
  printf 'module leakguard.local/msbin\n\ngo 1.24\n' >"$src/go.mod"
  t0=$(date +%s)
  log "building metrics-server $METRICS_SERVER_VERSION"
  ( cd "$src" && go get "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" >/dev/null &&
    go build -p "$GO_BUILD_P" -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/metrics-server/pkg/version.gitVersion=$METRICS_SERVER_VERSION" \
      -o "$tmp/metrics-server" sigs.k8s.io/metrics-server/cmd/metrics-server ) ||
    die "building metrics-server failed"
  log "built metrics-server in $(( $(date +%s) - t0 ))s"
  touch "$tmp/.complete"; rm -rf "$out"; mv "$tmp" "$out"
}

build_helm() {
  local out; out=$(bin_dir_helm)
  [ -f "$out/.complete" ] && { log "helm $HELM_VERSION: cached in $out"; return 0; }
  _go_env
  local src="$LG_CACHE/src/helm-$HELM_VERSION" tmp="$out.partial" t0 minor
  rm -rf "$src" "$tmp"; mkdir -p "$src" "$tmp"
  printf 'module leakguard.local/helmbin\n\ngo 1.24\n' >"$src/go.mod"
  t0=$(date +%s)
  log "building helm $HELM_VERSION"
  ( cd "$src" && go get "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >/dev/null &&
    go build -p "$GO_BUILD_P" -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
      -o "$tmp/helm" helm.sh/helm/v3/cmd/helm ) ||
    die "building helm failed"
  log "built helm in $(( $(date +%s) - t0 ))s"
  touch "$tmp/.complete"; rm -rf "$out"; mv "$tmp" "$out"
}

build_all() {
  build_etcd
  build_k8s
  build_metrics_server
  build_helm
}
