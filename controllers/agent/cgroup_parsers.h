#pragma once
// Pure parsers of cgroup v1 and v2 files (house rule 2): text in, values out, no I/O. Each
// returns an Error naming what was wrong when the text is malformed; the caller turns that into
// null fields and a logged reason. Keys a parser does not know are ignored (kernels add some).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "controllers/agent/cgroup_stats.h"
#include "operator/util/result.h"

namespace lg::agent {

// A decimal unsigned integer, surrounding whitespace allowed; nullopt otherwise.
std::optional<std::uint64_t> parseUint(std::string_view text);

// A file holding one counter (memory.usage_in_bytes, memory.current, pids.current, ...).
Result<std::uint64_t> parseSingleValue(std::string_view text);

// v1 memory.limit_in_bytes: the kernel writes PAGE_COUNTER_MAX * page size (about 2^63) for
// "no limit"; any value at or above 2^62 is taken as no limit and returned as 0.
Result<std::uint64_t> parseV1Limit(std::string_view text);

// v2 memory.max, pids.max (both versions): "max" is no limit (0), else the number.
Result<std::uint64_t> parseMaxOrValue(std::string_view text);

// Calls f(key, value) for every "key value" line (memory.stat, memory.events, oom_control).
// Error at the first line that is not "<key> <unsigned integer>".
template <class F>
Status forEachKeyValue(std::string_view text, F&& f);

struct V1MemoryStat {
  std::optional<std::uint64_t> rss, cache, shmem, mappedFile, inactiveFile, activeFile;
  std::optional<std::uint64_t> hierarchicalLimit;  // 0: none
};
// v1 memory.stat. Prefers the hierarchical total_* keys (the cgroup and its descendants), and
// falls back to the local ones for a kernel that lacks them.
Result<V1MemoryStat> parseV1MemoryStat(std::string_view text);

struct V2MemoryStat {
  std::optional<std::uint64_t> anon, file, shmem, fileMapped, inactiveFile, activeFile, kernel;
};
Result<V2MemoryStat> parseV2MemoryStat(std::string_view text);

struct V1OomControl {
  std::optional<bool> oomKillDisable, underOom;
  std::optional<std::uint64_t> oomKill;  // absent before Linux 4.13
};
Result<V1OomControl> parseV1OomControl(std::string_view text);

struct V2MemoryEvents {
  std::optional<std::uint64_t> low, high, max, oom, oomKill;
};
Result<V2MemoryEvents> parseV2MemoryEvents(std::string_view text);

// A PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the same for "full".
Result<Pressure> parsePressure(std::string_view text);

// cgroup.procs / tasks: one pid per line. Replaces `out`'s contents (its capacity is reused).
Status parsePidList(std::string_view text, std::vector<std::int64_t>& out);

// ---- implementation of the template ----

namespace detail {
// Splits off the next line (without '\n'); false at the end of the text.
inline bool nextLine(std::string_view& text, std::string_view& line) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty()) return true;
  }
  return false;
}
}  // namespace detail

template <class F>
Status forEachKeyValue(std::string_view text, F&& f) {
  std::string_view line;
  while (detail::nextLine(text, line)) {
    const auto sp = line.find(' ');
    if (sp == 0 || sp == std::string_view::npos)
      return makeError("malformed line \"" + std::string(line.substr(0, 80)) + "\"");
    const auto value = parseUint(line.substr(sp + 1));
    if (!value) return makeError("malformed value in \"" + std::string(line.substr(0, 80)) + "\"");
    f(line.substr(0, sp), *value);
  }
  return okStatus();
}

}  // namespace lg::agent
