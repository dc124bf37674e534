# cgroup v1 layout of the cluster. Sourced, never run.
# shellcheck shell=bash
#
# Why: on this machine a process sits in "/" of every v1 hierarchy except memory, where it sits
# in a nested cgroup (/process_api/<id>). kubelet's cgroupfs driver uses ONE path in every
# hierarchy, so the cluster's cgroup base is "<our memory cgroup>/leakguard-e2e" created in every
# hierarchy (cpu, cpuacct, cpuset, memory, pids, devices, freezer, blkio, name=systemd and the
# hybrid cgroup2 mount). Under it:
#   <base>/system    every daemon `up` starts (and so containerd's shims)
#   <base>/kubepods  created by kubelet (cgroupRoot=<base>), pods and containers below it
# so every process of the cluster can be found (and killed by pid) from the cgroup tree.
# The base path is recorded in $LG_REC_CGROUP_BASE, and each directory `up` had to create in
# $LG_REC_CGROUP_MADE, because `down` may run from a shell in another cgroup.

LG_CGROUP_LEAF="leakguard-e2e"

# Every mounted cgroup hierarchy (v1 and the hybrid v2 mount).
cg_mounts() { awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/mounts; }
# Only the v1 hierarchies: processes are attached there (the v2 mount has no controllers here).
cg_v1_mounts() { awk '$3 == "cgroup" { print $2 }' /proc/mounts; }

# The cgroup base for a new cluster: under the memory cgroup this shell runs in.
cg_compute_base() {
  local self
  self=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
  [ -n "$self" ] || self=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
  # Never nest a cluster inside a previous cluster's cgroup.
  self="${self%%/"$LG_CGROUP_LEAF"*}"
  [ "$self" = "/" ] && self=""
  echo "$self/$LG_CGROUP_LEAF"
}

cg_base() { cat "$LG_REC_CGROUP_BASE" 2>/dev/null; }

# _cg_mkdir_p HIERARCHY PATH: creates PATH level by level, recording what it made. cpuset
# children start with empty cpus/mems (clone_children=0) and refuse tasks, so copy the parent's.
_cg_mkdir_p() {
  local h="$1" path="$2" cur="$1" part
  local IFS=/
  for part in $path; do
    [ -n "$part" ] || continue
    cur="$cur/$part"
    if [ ! -d "$cur" ]; then
      mkdir "$cur"
      echo "$cur" >>"$LG_REC_CGROUP_MADE"
    fi
    if [ -f "$cur/cpuset.cpus" ]; then
      [ -n "$(cat "$cur/cpuset.cpus")" ] || cat "$(dirname "$cur")/cpuset.cpus" >"$cur/cpuset.cpus"
      [ -n "$(cat "$cur/cpuset.mems")" ] || cat "$(dirname "$cur")/cpuset.mems" >"$cur/cpuset.mems"
    fi
  done
}

# cg_setup: creates <base> and <base>/system in every hierarchy.
cg_setup() {
  local base h
  base=$(cg_compute_base)
  echo "$base" >"$LG_REC_CGROUP_BASE"
  : >>"$LG_REC_CGROUP_MADE"
  for h in $(cg_mounts); do
    _cg_mkdir_p "$h" "$base/system"
  done
  log "cgroup base $base (kubelet cgroupRoot) in $(cg_mounts | wc -l) hierarchies"
}

# The cgroup.procs files a daemon writes its pid into (space separated, no spaces in paths).
cg_system_procs_files() {
  local base h out=""
  base=$(cg_base)
  for h in $(cg_v1_mounts); do out="$out $h$base/system/cgroup.procs"; done
  echo "${out# }"
}

# cg_pids: every pid in any cgroup under the cluster's base, in any hierarchy.
cg_pids() {
  local base h
  base=$(cg_base)
  [ -n "$base" ] || return 0
  for h in $(cg_mounts); do
    [ -d "$h$base" ] || continue
    # A cgroup may vanish while find walks the tree: that is not an error here.
    find "$h$base" -name cgroup.procs -exec cat {} + 2>/dev/null || true
  done | sort -un
}

# cg_teardown: removes the cluster's cgroups deepest first, then the parents `up` created.
# A cgroup directory holding a process cannot be removed: callers kill those first.
cg_teardown() {
  local base h d failed=0
  base=$(cg_base)
  if [ -z "$base" ]; then
    # No record (state wiped by hand): find leftovers by their unique leaf name.
    base=$(find /sys/fs/cgroup/memory -maxdepth 4 -type d -name "$LG_CGROUP_LEAF" 2>/dev/null |
      head -n1 | sed 's#^/sys/fs/cgroup/memory##')
  fi
  if [ -n "$base" ]; then
    for h in $(cg_mounts); do
      [ -d "$h$base" ] || continue
      while read -r d; do
        rmdir "$d" 2>/dev/null || { [ -d "$d" ] && { log "cannot remove cgroup $d"; failed=1; }; }
      done < <(find "$h$base" -depth -type d)
    done
  fi
  # Parents created for the base (e.g. /process_api/<id> in the cpu hierarchy), newest first;
  # a parent another user has put something into stays.
  if [ -f "$LG_REC_CGROUP_MADE" ]; then
    tac "$LG_REC_CGROUP_MADE" | while read -r d; do
      if [ -d "$d" ]; then rmdir "$d" 2>/dev/null || true; fi
    done
  fi
  return "$failed"
}
