#pragma once
// The series every Prometheus exporter has, so LeakGuard's own processes show on the dashboards
// and alerts people already run (client_golang's process collector): process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_start_time_seconds,
// process_open_fds and process_max_fds, read from /proc/self at each scrape; and
// leakguard_build_info{version,revision} 1.

#include <optional>
#include <string>
#include <string_view>

#include "operator/runtime/metrics_registry.h"

namespace lg::runtime {

struct ProcessStats {
  double cpuSeconds = 0;        // user + system
  double residentBytes = 0;     // rss pages * page size
  double virtualBytes = 0;      // vsize
  double startTimeSeconds = 0;  // since the epoch: boot time + starttime ticks
};

// From /proc/<pid>/stat (the fields after the command's closing parenthesis) and the boot time
// (/proc/stat "btime"). nullopt if the text is not such a line.
std::optional<ProcessStats> parseProcStat(std::string_view stat, double ticksPerSecond,
                                          double pageSize, double bootTimeSeconds);
// "btime <seconds>" of /proc/stat.
std::optional<double> parseBootTime(std::string_view procStat);

// Registers the process_* gauges and a collector that refreshes them from `procRoot`/self at
// each render(). Files that cannot be read leave the last values.
void registerProcessMetrics(MetricsRegistry& registry, const std::string& procRoot = "/proc");
void registerBuildInfo(MetricsRegistry& registry, const std::string& version,
                       const std::string& revision);

}  // namespace lg::runtime
