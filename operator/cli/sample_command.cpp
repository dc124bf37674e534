#include "operator/cli/sample_command.h"

#include <chrono>
#include <ostream>
#include <thread>

#include "controllers/agent/agent_sample.h"
#include "controllers/agent/cgroup_layout.h"
#include "controllers/agent/cgroup_sampler.h"
#include "controllers/policy/duration.h"
#include "operator/util/clock.h"

namespace lg::cli {

int runSample(const SampleFlags& flags, std::ostream& out, std::ostream& err,
              const std::function<void(double)>& sleep) {
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
