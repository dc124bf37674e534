#include "operator/runtime/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include "operator/util/read_file.h"

namespace lg::runtime {
namespace {

std::optional<double> number(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size();) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n'))
      ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\n')
      ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

double countEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return -1;
  double n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

}  // namespace

std::optional<ProcessStats> parseProcStat(std::string_view stat, double ticksPerSecond,
                                          double pageSize, double bootTimeSeconds) {
  // pid (comm) state ppid ...: comm may hold spaces and parentheses, so from its last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || ticksPerSecond <= 0) return std::nullopt;
  const auto f = fields(stat.substr(close + 1));
  // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return std::nullopt;
  const auto utime = number(f[11]), stime = number(f[12]), start = number(f[19]),
             vsize = number(f[20]), rss = number(f[21]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcessStats{.cpuSeconds = (*utime + *stime) / ticksPerSecond,
                      .residentBytes = *rss * pageSize,
                      .virtualBytes = *vsize,
                      .startTimeSeconds = bootTimeSeconds + *start / ticksPerSecond};
}

std::optional<double> parseBootTime(std::string_view procStat) {
  for (std::size_t i = 0; i < procStat.size();) {
    const std::size_t nl = procStat.find('\n', i);
    const std::string_view line =
        procStat.substr(i, nl == std::string_view::npos ? std::string_view::npos : nl - i);
    const auto f = fields(line);
    if (f.size() == 2 && f[0] == "btime") return number(f[1]);
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  return std::nullopt;
}

void registerProcessMetrics(MetricsRegistry& registry, const std::string& procRoot) {
  auto& cpu =
      registry
          .counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds")
          .labels({});
  auto& rss =
      registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes").labels({});
  auto& vsz =
      registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes").labels({});
  auto& start = registry
                    .gauge("process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds")
                    .labels({});
  auto& fds = registry.gauge("process_open_fds", "Number of open file descriptors").labels({});
  auto& maxFds =
      registry.gauge("process_max_fds", "Maximum number of open file descriptors").labels({});
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  registry.addCollector([=, &cpu, &rss, &vsz, &start, &fds, &maxFds] {
    const auto boot = readWholeFile(procRoot + "/stat");
    const double btime = boot ? parseBootTime(*boot).value_or(0) : 0;
    if (auto stat = readWholeFile(procRoot + "/self/stat")) {
      if (auto s = parseProcStat(*stat, ticks, page, btime)) {
        cpu.inc(s->cpuSeconds - cpu.value());  // a counter: only ever moves up
        rss.set(s->residentBytes);
        vsz.set(s->virtualBytes);
        start.set(s->startTimeSeconds);
      }
    }
    if (const double n = countEntries(procRoot + "/self/fd"); n >= 0) fds.set(n);
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0)
      maxFds.set(lim.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(lim.rlim_cur));
  });
}

void registerBuildInfo(MetricsRegistry& registry, const std::string& version,
                       const std::string& revision) {
  registry
      .gauge("leakguard_build_info",
             "Always 1: the version and git revision of this LeakGuard binary",
             {"version", "revision"})
      .labels({version, revision})
      .set(1);
}

}  // namespace lg::runtime
