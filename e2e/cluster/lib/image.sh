# Local container images: built with buildah, imported into the cluster's containerd.
# Sourced, never run.
# shellcheck shell=bash
#
# No registry can be reached from this machine, so every image is built here FROM scratch
# (static binaries), saved as an oci-archive under $LG_IMAGE_CACHE and imported with
# `ctr -n k8s.io images import` into THIS cluster's containerd socket. Names are fully
# qualified `localhost/NAME:TAG` (never :latest) so the kubelet never tries to pull them;
# kubelet's image GC thresholds (100/99) make sure imported images are never deleted.

# buildah with its own storage (vfs works everywhere, no overlay-on-overlay questions) under the
# cache, so it never touches the machine's default container storage. Its own containers.conf
# keeps its network-backend lock out of /etc/cni/net.d (containerd's default CNI dir).
# (buildah still writes its blob-info cache to /var/lib/containers/cache: no knob for that.)
lg_buildah() {
  local conf="$LG_BUILDAH_ROOT/containers.conf"
  if [ ! -f "$conf" ]; then
    mkdir -p "$LG_BUILDAH_ROOT/cni"
    printf '[network]\nnetwork_backend = "cni"\nnetwork_config_dir = "%s"\n' "$LG_BUILDAH_ROOT/cni" >"$conf"
  fi
  CONTAINERS_CONF="$conf" BUILDAH_ISOLATION=chroot buildah --root "$LG_BUILDAH_ROOT/root" \
    --runroot "$LG_BUILDAH_ROOT/run" --storage-driver vfs "$@"
}

image_archive_path() { echo "$LG_IMAGE_CACHE/$(echo "$1" | tr '/:@' '___').oci.tar"; }

check_image_ref() {
  case "$1" in
    localhost/*:latest) die "image $1: use an explicit tag, not :latest (kubelet would try to pull it)" ;;
    localhost/*:*) ;;
    *) die "image $1: must be localhost/NAME:TAG" ;;
  esac
}

# image_build CONTEXT REF: builds CONTEXT/Containerfile (or Dockerfile) into an oci-archive.
image_build() {
  local ctx="$1" ref="$2" file archive tmp
  check_image_ref "$ref"
  file="$ctx/Containerfile"
  [ -f "$file" ] || file="$ctx/Dockerfile"
  [ -f "$file" ] || die "no Containerfile or Dockerfile in $ctx"
  archive=$(image_archive_path "$ref")
  mkdir -p "$LG_IMAGE_CACHE" "$LG_BUILDAH_ROOT"
  # A name of its own per build: two builds of one REF at once (parallel tests) must not
  # move each other's archive away. The last complete one wins; each is whole.
  tmp="$archive.partial.$$"
  rm -f "$tmp"
  # Straight into an oci-archive: nothing stays in buildah's storage. The archive's manifest
  # is annotated org.opencontainers.image.ref.name=REF, the name ctr import gives it.
  if ! lg_buildah bud --quiet --layers=false -f "$file" -t "oci-archive:$tmp:$ref" "$ctx" >/dev/null; then
    rm -f "$tmp"
    die "buildah could not build $ref from $ctx"
  fi
  mv "$tmp" "$archive"
}

# image_import REF: imports REF's archive into the cluster's containerd (k8s.io namespace).
image_import() {
  local ref="$1" archive
  archive=$(image_archive_path "$ref")
  [ -f "$archive" ] || die "no archive for $ref at $archive (build it first)"
  [ -S "$CONTAINERD_SOCK" ] || die "the cluster's containerd is not running (no $CONTAINERD_SOCK): run e2e/cluster/up"
  local names
  lg_ctr images import "$archive" >/dev/null
  # buildah names the archive's manifest after REF (org.opencontainers.image.ref.name); check
  # that containerd took that name rather than trusting it. (Listing into a variable first:
  # `ctr ... | grep -q` fails under pipefail when grep exits before ctr has written all.)
  names=$(lg_ctr images ls -q)
  grep -qxF "$ref" <<<"$names" || die "imported $archive, but containerd has no image $ref"
}

# pause_image_ensure: the sandbox image every pod needs, built once per source change.
pause_image_ensure() {
  local src="$LG_E2E_DIR/images/pause" hash stamp ctx
  hash=$(cat "$src/pause.c" "$src/Containerfile" | sha256sum | cut -c1-16)
  stamp="$LG_IMAGE_CACHE/pause.source-sha"
  if [ ! -f "$(image_archive_path "$PAUSE_IMAGE")" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
    log "building $PAUSE_IMAGE (static C, buildah FROM scratch)"
    ctx=$(mktemp -d)
    cp "$src/Containerfile" "$ctx/"
    gcc -static -Os -s -Wall -Werror -o "$ctx/pause" "$src/pause.c"
    image_build "$ctx" "$PAUSE_IMAGE"
    rm -rf "$ctx"
    echo "$hash" >"$stamp"
  fi
}
