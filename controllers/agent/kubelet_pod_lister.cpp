#include "controllers/agent/kubelet_pod_lister.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

namespace lg::agent {
namespace {

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool isName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0;;) {
    const std::size_t j = s.find(sep, i);
    out.push_back(s.substr(i, j == std::string_view::npos ? s.size() - i : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

}  // namespace

std::optional<ContainerLogLink> parseContainerLogLink(std::string_view fileName,
                                                      std::string_view target) {
  constexpr std::string_view kLog = ".log";
  if (fileName.size() <= kLog.size() || !fileName.ends_with(kLog)) return std::nullopt;
  fileName.remove_suffix(kLog.size());
  const auto parts = split(fileName, '_');
  if (parts.size() != 3) return std::nullopt;
  const std::string_view last = parts[2];
  const std::size_t dash = last.rfind('-');
  if (dash == std::string_view::npos || last.size() - dash - 1 != 64) return std::nullopt;
  ContainerLogLink l;
  l.pod = parts[0];
  l.ns = parts[1];
  l.container = last.substr(0, dash);
  l.containerId = last.substr(dash + 1);
  if (!isName(l.pod) || !isName(l.ns) || !isName(l.container) || !isHex(l.containerId))
    return std::nullopt;
  // <podLogsDir>/<namespace>_<pod>_<uid>/<container>/<restart>.log
  const auto path = split(target, '/');
  if (path.size() < 3) return std::nullopt;
  const std::string_view file = path[path.size() - 1];
  const std::string_view container = path[path.size() - 2];
  const auto dir = split(path[path.size() - 3], '_');
  if (dir.size() != 3 || dir[0] != l.ns || dir[1] != l.pod || container != l.container)
    return std::nullopt;
  if (!file.ends_with(kLog)) return std::nullopt;
  const std::string_view restart = file.substr(0, file.size() - kLog.size());
  if (restart.empty() || restart.size() > 9 ||
      !std::all_of(restart.begin(), restart.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  l.restartCount = std::stoi(std::string(restart));
  const std::string_view uid = dir[2];
  std::string uidHex(uid);
  std::erase(uidHex, '-');
  if (uid.empty() || uid.size() > 64 || !isHex(uidHex)) return std::nullopt;
  l.podUid = uid;
  return l;
}

std::vector<std::shared_ptr<const AgentPod>> podsFromLogLinks(
    const std::vector<ContainerLogLink>& links, const std::vector<std::string>& namespaces) {
  // uid -> pod; container name -> its instances, newest restart first.
  std::map<std::string, AgentPod> pods;
  std::map<std::pair<std::string, std::string>, std::vector<const ContainerLogLink*>> instances;
  for (const auto& l : links) {
    if (!namespaces.empty() &&
        std::find(namespaces.begin(), namespaces.end(), l.ns) == namespaces.end())
      continue;
    auto& p = pods[l.podUid];
    p.uid = p.cgroupUid = l.podUid;
    p.ns = l.ns;
    p.name = l.pod;
    instances[{l.podUid, l.container}].push_back(&l);
  }
  for (auto& [key, list] : instances) {
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->restartCount > b->restartCount; });
    AgentContainer c{.name = key.second, .id = list[0]->containerId};
    if (list.size() > 1) c.lastId = list[1]->containerId;
    pods[key.first].containers.push_back(std::move(c));
  }
  std::vector<std::shared_ptr<const AgentPod>> out;
  out.reserve(pods.size());
  for (auto& [uid, p] : pods)
    out.push_back(std::make_shared<const AgentPod>(std::move(p)));
  return out;
}

std::vector<ContainerLogLink> readContainerLogLinks(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<ContainerLogLink> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code lec;
    if (!it->is_symlink(lec)) continue;
    const fs::path target = fs::read_symlink(it->path(), lec);
    if (lec) continue;
    if (auto l = parseContainerLogLink(it->path().filename().string(), target.string()))
      out.push_back(std::move(*l));
  }
  return out;
}

}  // namespace lg::agent
