#include "controllers/agent/cgroup_layout.h"

#include <sys/stat.h>

#include <optional>

namespace lg::agent {
namespace {

bool isDir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string trimTrailingSlashes(std::string s) {
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

}  // namespace

std::string normalizeCgroupPath(std::string_view path) {
  std::string out = "/";
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/')
      ++i;
    const std::size_t start = i;
    while (i < path.size() && path[i] != '/')
      ++i;
    if (i > start) {
      if (out.size() > 1) out += '/';
      out.append(path.substr(start, i - start));
    }
  }
  return out;
}

std::string joinCgroupDir(std::string_view hierarchyRoot, std::string_view cgroupPath) {
  std::string out(hierarchyRoot);
  const std::string norm = normalizeCgroupPath(cgroupPath);
  if (norm != "/") out += norm;
  return out;
}

std::string CgroupLayout::memoryDir(std::string_view cgroupPath) const {
  return joinCgroupDir(memoryRoot, cgroupPath);
}

std::string CgroupLayout::pidsDir(std::string_view cgroupPath) const {
  return joinCgroupDir(pidsRoot, cgroupPath);
}

Result<CgroupLayout> detectCgroupLayout(const std::string& rootIn) {
  const std::string root = trimTrailingSlashes(rootIn.empty() ? "/" : rootIn);
  if (!isDir(root)) return makeError("cgroup root " + root + " is not a directory");
  CgroupLayout l;
  l.root = root;
  if (exists(root + "/cgroup.controllers")) {
    l.version = 2;
    l.memoryRoot = root;
    l.pidsRoot = root;
    return l;
  }
  if (isDir(root + "/memory")) {
    l.version = 1;
    l.memoryRoot = root + "/memory";
    l.pidsRoot = root + "/pids";
    return l;
  }
  return makeError("no cgroup hierarchy at " + root +
                   ": neither cgroup.controllers (v2) nor a memory directory (v1)");
}

namespace {

// `path` relative to `base` ("/" when equal), or nullopt when it is not below base.
std::optional<std::string> relativeTo(std::string_view path, std::string_view base) {
  if (path == base) return std::string("/");
  if (path.size() > base.size() && path.starts_with(base) && path[base.size()] == '/')
    return normalizeCgroupPath(path.substr(base.size()));
  return std::nullopt;
}

}  // namespace

Result<std::string> resolveCgroupPath(const CgroupLayout& layout, std::string_view given) {
  const std::string g = normalizeCgroupPath(given);
  std::optional<std::string> rel = relativeTo(g, layout.memoryRoot);
  if (!rel) rel = relativeTo(g, layout.pidsRoot);
  if (!rel && layout.version == 1) {
    // Another v1 hierarchy (".../cpu/a/b", ".../cpu,cpuacct/a/b"): the same cgroup path.
    if (auto inRoot = relativeTo(g, layout.root)) {
      const auto slash = inRoot->find('/', 1);
      rel = slash == std::string::npos
                ? std::string("/")
                : normalizeCgroupPath(std::string_view(*inRoot).substr(slash));
    }
  }
  if (!rel) rel = g;
  if (isDir(layout.memoryDir(*rel)) || isDir(layout.pidsDir(*rel))) return *rel;
  return makeError("no cgroup " + *rel + " in the memory or pids hierarchy under " + layout.root);
}

}  // namespace lg::agent
