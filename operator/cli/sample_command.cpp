#include "operator/cli/sample_command.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <ostream>
#include <thread>

#include "controllers/agent/agent_sample.h"
#include "controllers/agent/cgroup_layout.h"
#include "controllers/agent/cgroup_sampler.h"
#include "controllers/policy/duration.h"
#include "operator/util/clock.h"

namespace lg::cli {
namespace {

void cell(std::string& row, const std::optional<std::uint64_t>& v, bool zeroIsNone = false) {
  row += ',';
  if (v && !(zeroIsNone && *v == 0)) row += std::to_string(*v);
}

}  // namespace

std::string traceRow(double time, const agent::CgroupSample& s) {
  char ts[32];
  std::snprintf(ts, sizeof ts, "%.3f", time);
  std::string row = ts;
  cell(row, s.memory.workingSet);
  cell(row, s.memory.anon);
  cell(row, s.memory.file);
  cell(row, s.memory.shmem);
  cell(row, s.memory.limit, true);  // 0: no limit, nothing to forecast against
  cell(row, s.processes.fdsMax);
  cell(row, s.processes.fdsSoftLimit);
  cell(row, s.processes.threads);
  cell(row, s.pids.max, true);  // 0: "max"
  row += '\n';
  return row;
}

int runSample(const SampleFlags& flags, std::ostream& out, std::ostream& err,
              const std::function<void(double)>& sleep) {
  if (flags.output != "json" && flags.output != "csv") {
    err << "leakguard sample: -o: json or csv, got \"" << flags.output << "\"\n";
    return 2;
  }
  auto interval = policy::parseDuration(flags.interval);
  if (!interval || *interval <= 0) {
    err << "leakguard sample: --interval: "
        << (interval ? std::string("must be positive") : interval.error().message) << "\n";
    return 2;
  }
  auto layout = agent::detectCgroupLayout(flags.cgroupRoot);
  if (!layout) {
    err << "leakguard sample: " << layout.error().message << "\n";
    return 1;
  }
  auto path = agent::resolveCgroupPath(*layout, flags.cgroup);
  if (!path) {
    err << "leakguard sample: " << path.error().message << "\n";
    return 1;
  }
  agent::CgroupSampler sampler(*layout, {.procRoot = flags.procRoot});
  agent::CgroupSample sample;
  agent::ReadProblems problems;
  const bool csv = flags.output == "csv";
  if (csv) out << kTraceHeader << "\n";
  std::string line;
  for (int i = 0; flags.count <= 0 || i < flags.count; ++i) {
    if (i > 0) {
      if (sleep) {
        sleep(*interval);
      } else {
        std::this_thread::sleep_for(std::chrono::duration<double>(*interval));
      }
    }
    problems.clear();
    sampler.sample(*path, sample, problems);
    if (csv) {
      for (const auto& p : problems)
        err << "leakguard sample: " << p.file << ": " << p.reason << "\n";
      out << traceRow(toSeconds(SystemClock::instance().now()), sample);
      out.flush();
      continue;
    }
    line.clear();
    line += "{\"time\":";
    line += std::to_string(toSeconds(SystemClock::instance().now()));
    line += ',';
    agent::appendCgroupFields(line, sample);
    line += ",\"problems\":[";
    for (std::size_t k = 0; k < problems.size(); ++k) {
      if (k) line += ',';
      line += "{\"file\":";
      agent::appendJsonString(line, problems[k].file);
      line += ",\"reason\":";
      agent::appendJsonString(line, problems[k].reason);
      line += '}';
    }
    line += "]}\n";
    out << line;
    out.flush();
  }
  return 0;
}

}  // namespace lg::cli
