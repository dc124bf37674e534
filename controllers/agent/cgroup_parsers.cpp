#include "controllers/agent/cgroup_parsers.h"

#include <charconv>
#include <string>

namespace lg::agent {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s.substr(0, 80)) + "\"";
}

constexpr std::uint64_t kV1NoLimitThreshold = std::uint64_t{1} << 62;

}  // namespace

std::optional<std::uint64_t> parseUint(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<std::uint64_t> parseSingleValue(std::string_view text) {
  if (auto v = parseUint(text)) return *v;
  return makeError("malformed: expected a number, got " + quoted(trim(text)));
}

Result<std::uint64_t> parseV1Limit(std::string_view text) {
  auto v = parseSingleValue(text);
  if (!v) return v;
  return *v >= kV1NoLimitThreshold ? std::uint64_t{0} : *v;
}

Result<std::uint64_t> parseMaxOrValue(std::string_view text) {
  if (trim(text) == "max") return std::uint64_t{0};
  if (auto v = parseUint(text)) return *v;
  return makeError("malformed: expected a number or \"max\", got " + quoted(trim(text)));
}

Result<V1MemoryStat> parseV1MemoryStat(std::string_view text) {
  V1MemoryStat local, total;
  std::optional<std::uint64_t> hierarchical;
  auto st = forEachKeyValue(text, [&](std::string_view k, std::uint64_t v) {
    const bool isTotal = k.starts_with("total_");
    V1MemoryStat& s = isTotal ? total : local;
    if (isTotal) k.remove_prefix(6);
    if (k == "rss")
      s.rss = v;
    else if (k == "cache")
      s.cache = v;
    else if (k == "shmem")
      s.shmem = v;
    else if (k == "mapped_file")
      s.mappedFile = v;
    else if (k == "inactive_file")
      s.inactiveFile = v;
    else if (k == "active_file")
      s.activeFile = v;
    else if (k == "hierarchical_memory_limit" && !isTotal)
      hierarchical = v;
  });
  if (!st) return makeError("malformed: " + st.error().message);
  V1MemoryStat out;
  out.rss = total.rss ? total.rss : local.rss;
  out.cache = total.cache ? total.cache : local.cache;
  out.shmem = total.shmem ? total.shmem : local.shmem;
  out.mappedFile = total.mappedFile ? total.mappedFile : local.mappedFile;
  out.inactiveFile = total.inactiveFile ? total.inactiveFile : local.inactiveFile;
  out.activeFile = total.activeFile ? total.activeFile : local.activeFile;
  if (hierarchical)
    out.hierarchicalLimit = *hierarchical >= kV1NoLimitThreshold ? 0 : *hierarchical;
  return out;
}

Result<V2MemoryStat> parseV2MemoryStat(std::string_view text) {
  V2MemoryStat s;
  auto st = forEachKeyValue(text, [&](std::string_view k, std::uint64_t v) {
    if (k == "anon")
      s.anon = v;
    else if (k == "file")
      s.file = v;
    else if (k == "shmem")
      s.shmem = v;
    else if (k == "file_mapped")
      s.fileMapped = v;
    else if (k == "inactive_file")
      s.inactiveFile = v;
    else if (k == "active_file")
      s.activeFile = v;
    else if (k == "kernel")
      s.kernel = v;
  });
  if (!st) return makeError("malformed: " + st.error().message);
  return s;
}

Result<V1OomControl> parseV1OomControl(std::string_view text) {
  V1OomControl s;
  auto st = forEachKeyValue(text, [&](std::string_view k, std::uint64_t v) {
    if (k == "oom_kill_disable")
      s.oomKillDisable = v != 0;
    else if (k == "under_oom")
      s.underOom = v != 0;
    else if (k == "oom_kill")
      s.oomKill = v;
  });
  if (!st) return makeError("malformed: " + st.error().message);
  return s;
}

Result<V2MemoryEvents> parseV2MemoryEvents(std::string_view text) {
  V2MemoryEvents s;
  auto st = forEachKeyValue(text, [&](std::string_view k, std::uint64_t v) {
    if (k == "low")
      s.low = v;
    else if (k == "high")
      s.high = v;
    else if (k == "max")
      s.max = v;
    else if (k == "oom")
      s.oom = v;
    else if (k == "oom_kill")
      s.oomKill = v;
  });
  if (!st) return makeError("malformed: " + st.error().message);
  return s;
}

Result<Pressure> parsePressure(std::string_view text) {
  Pressure p;
  std::string_view line;
  while (detail::nextLine(text, line)) {
    const auto sp = line.find(' ');
    const std::string_view kind = line.substr(0, sp);
    if (kind != "some" && kind != "full") return makeError("malformed line " + quoted(line));
    PressureLine pl;
    int seen = 0;
    std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    while (!rest.empty()) {
      const auto next = rest.find(' ');
      const std::string_view field = rest.substr(0, next);
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
      if (field.empty()) continue;
      const auto eq = field.find('=');
      if (eq == std::string_view::npos) return makeError("malformed field " + quoted(field));
      const std::string_view key = field.substr(0, eq), val = field.substr(eq + 1);
      if (key == "total") {
        auto v = parseUint(val);
        if (!v) return makeError("malformed total in " + quoted(line));
        pl.totalUs = *v;
        ++seen;
      } else if (key == "avg10" || key == "avg60" || key == "avg300") {
        double d = 0;
        const auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), d);
        if (ec != std::errc() || end != val.data() + val.size() || d < 0)
          return makeError("malformed " + std::string(key) + " in " + quoted(line));
        (key == "avg10" ? pl.avg10 : key == "avg60" ? pl.avg60 : pl.avg300) = d;
        ++seen;
      }
    }
    if (seen != 4) return makeError("malformed: incomplete line " + quoted(line));
    (kind == "some" ? p.some : p.full) = pl;
  }
  if (!p.some) return makeError("malformed: no \"some\" line");
  return p;
}

Status parsePidList(std::string_view text, std::vector<std::int64_t>& out) {
  out.clear();
  std::string_view line;
  while (detail::nextLine(text, line)) {
    auto v = parseUint(line);
    if (!v || *v == 0 || *v > (std::uint64_t{1} << 31))
      return makeError("malformed pid " + quoted(line));
    out.push_back(static_cast<std::int64_t>(*v));
  }
  return okStatus();
}

}  // namespace lg::agent
