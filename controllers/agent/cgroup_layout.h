#pragma once
// Where the cgroup hierarchies the agent reads are mounted, and how a cgroup path ("/kubepods/
// burstable/pod<uid>/<id>", as /proc/<pid>/cgroup prints it) maps to directories:
//   cgroup v1: <root>/memory/<path> and <root>/pids/<path> (one hierarchy per controller)
//   cgroup v2: <root>/<path> (the unified hierarchy)
// A hybrid host (v1 controllers plus an empty v2 mount at <root>/unified) counts as v1: the
// memory controller is where the v1 hierarchy is.

#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::agent {

struct CgroupLayout {
  int version = 0;         // 1 or 2
  std::string root;        // the mount root, e.g. "/sys/fs/cgroup"
  std::string memoryRoot;  // v1: <root>/memory; v2: <root>
  std::string pidsRoot;    // v1: <root>/pids; v2: <root>

  // Absolute directories of a cgroup path ("" and "/" mean the hierarchy's root).
  std::string memoryDir(std::string_view cgroupPath) const;
  std::string pidsDir(std::string_view cgroupPath) const;
};

// Looks at `root`: v2 if it holds cgroup.controllers, v1 if it holds a memory hierarchy.
// Errors name the root and what is missing.
Result<CgroupLayout> detectCgroupLayout(const std::string& root);

// The cgroup path of what the user named: an absolute directory under one of the layout's
// hierarchies ("/sys/fs/cgroup/memory/a/b", "/sys/fs/cgroup/cpu/a/b") or a cgroup path
// ("/a/b", "a/b"). Returns it normalized ("/a/b"). Error when no hierarchy the agent reads
// (memory, pids) has a directory there.
Result<std::string> resolveCgroupPath(const CgroupLayout& layout, std::string_view given);

// "/a//b/" -> "/a/b"; "" -> "/".
std::string normalizeCgroupPath(std::string_view path);

// Joins a hierarchy root and a cgroup path: ("/sys/fs/cgroup/memory", "/a") -> ".../memory/a".
std::string joinCgroupDir(std::string_view hierarchyRoot, std::string_view cgroupPath);

}  // namespace lg::agent
