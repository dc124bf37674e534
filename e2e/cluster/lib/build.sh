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

# Every binary is built from one module: k8s.io/kubernetes with each staging module (required at
# v0.0.0 with a replace into ./staging upstream) pointed at its published v0.X.Y, plus etcd,
# metrics-server and helm. One module means one version of every shared dependency (client-go,
# apiserver, grpc, protobuf...), so each package is compiled once for all five programs: a cold
# build is minutes shorter than with a module per program. helm is the release built against the
# same Kubernetes minor (Helm's version skew policy) and metrics-server is built against this
# Kubernetes' libraries.
_cluster_module() {
  local dir="$1" modfile staging_ver
  staging_ver="v0.${K8S_VERSION#v1.}"
  ( cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >dl.json ) ||
    die "could not download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  modfile=$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' "$dir/dl.json")
  {
    echo "module leakguard.local/clusterbin"
    echo
    echo "go 1.24"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes $K8S_VERSION"
    # etcd's server/v3 go.mod replaces its siblings by relative path, which a dependency's
    # go.mod may not do for us: require each sibling at the same version instead.
    local m
    for m in server/v3 api/v3 client/pkg/v3 client/v3 pkg/v3; do
      echo "	go.etcd.io/etcd/$m $ETCD_VERSION"
    done
    echo "	sigs.k8s.io/metrics-server $METRICS_SERVER_VERSION"
    echo "	helm.sh/helm/v3 $HELM_VERSION"
    echo ")"
    echo
    # Every staging module named by a ./staging replace in the real go.mod.
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$modfile" |
      while read -r m; do echo "replace $m => $m $staging_ver"; done
  } >"$dir/go.mod"
  ( cd "$dir" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
      "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
      "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$dir/get.log" 2>&1 ) ||
    { cat "$dir/get.log" >&2; die "go get of the cluster's programs failed (see above)"; }
}

# _go_build OUT NAME PACKAGE [LDFLAGS...]: one program, timed, into OUT/NAME.
_go_build() {
  local out="$1" name="$2" pkg="$3" t0; shift 3
  t0=$(date +%s)
  log "building $name (go build -p $GO_BUILD_P; a cold build takes minutes)"
  ( cd "$_src" && go build -p "$GO_BUILD_P" -trimpath -ldflags "-s -w $*" \
      ${_tags:+-tags "$_tags"} -o "$out/$name" "$pkg" ) || die "building $name failed"
  log "built $name in $(( $(date +%s) - t0 ))s"
}

# _partial DIR: prints nothing when DIR is already complete, else makes DIR.partial and prints it.
_partial() {
  local out="$1"
  [ -f "$out/.complete" ] && return 0
  rm -rf "$out.partial"; mkdir -p "$out.partial"; echo "$out.partial"
}

_complete() { touch "$1.partial/.complete"; rm -rf "$1"; mv "$1.partial" "$1"; }

# Prometheus and promtool, for the alerts' tests: a module of their own, since Prometheus needs
# newer Kubernetes libraries than the cluster's. `go install module@version` (the module's own
# go.mod and go.sum), without the service discovery plugins (tag remove_all_sd: the tests give
# their targets in a file), which leaves out the cloud SDKs: both build in less CPU time than the
# default promtool alone (BENCHMARKS.md).
_build_prometheus() {
  local prom tmp t0 cmd
  prom=$(bin_dir_prometheus)
  if tmp=$(_partial "$prom") && [ -n "$tmp" ]; then
    t0=$(date +%s)
    log "building prometheus and promtool $PROMETHEUS_VERSION (go install -p $GO_BUILD_P; a cold build takes minutes)"
    ( export GOFLAGS=-buildvcs=false GOBIN="$tmp"
      go install -p "$GO_BUILD_P" -trimpath -tags remove_all_sd -ldflags "-s -w" \
        "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
        "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" ) ||
      die "building prometheus and promtool failed"
    for cmd in prometheus promtool; do
      [ -x "$tmp/$cmd" ] || die "go install left no $cmd in $tmp"
    done
    log "built prometheus and promtool in $(( $(date +%s) - t0 ))s"
    _complete "$prom"
  fi
}

build_all() {
  local k8s etcd ms helm
  k8s=$(bin_dir_k8s); etcd=$(bin_dir_etcd); ms=$(bin_dir_metrics); helm=$(bin_dir_helm)
  _go_env
  _build_prometheus
  if [ -f "$k8s/.complete" ] && [ -f "$etcd/.complete" ] && [ -f "$ms/.complete" ] &&
     [ -f "$helm/.complete" ]; then
    log "kubernetes $K8S_VERSION, etcd $ETCD_VERSION, metrics-server $METRICS_SERVER_VERSION, helm $HELM_VERSION, prometheus $PROMETHEUS_VERSION: cached in $LG_BIN_CACHE"
    return 0
  fi
  _src="$LG_CACHE/src/cluster-$K8S_VERSION-etcd-$ETCD_VERSION-ms-$METRICS_SERVER_VERSION-helm-$HELM_VERSION"
  _tags=""
  rm -rf "$_src"; mkdir -p "$_src"
  log "resolving the Go modules of the cluster's programs (downloaded the first time)"
  _cluster_module "$_src"
  local tmp
  if tmp=$(_partial "$etcd") && [ -n "$tmp" ]; then
    _go_build "$tmp" etcd go.etcd.io/etcd/server/v3
    _complete "$etcd"
  fi
  if tmp=$(_partial "$k8s") && [ -n "$tmp" ]; then
    local minor="${K8S_VERSION#v1.}" ld="" pkg cmd
    minor="${minor%%.*}"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld="$ld -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(_build_date)"
    done
    _tags="selinux,notest"
    for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
      _go_build "$tmp" "$cmd" "k8s.io/kubernetes/cmd/$cmd" "$ld"
    done
    _tags=""
    _complete "$k8s"
  fi
  if tmp=$(_partial "$ms") && [ -n "$tmp" ]; then
    _go_build "$tmp" metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server \
      "-X sigs.k8s.io/metrics-server/pkg/version.gitVersion=$METRICS_SERVER_VERSION"
    _complete "$ms"
  fi
  if tmp=$(_partial "$helm") && [ -n "$tmp" ]; then
    _go_build "$tmp" helm helm.sh/helm/v3/cmd/helm \
      "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
      "-X helm.sh/helm/v3/internal/version.gitTreeState=clean"
    _complete "$helm"
  fi
}
