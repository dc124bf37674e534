#include "operator/cli/analyze_command.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>

#include "controllers/detect/trace_replay.h"
#include "operator/util/printable.h"

namespace lg::cli {
namespace {

// Seconds rounded to a tenth keeps the output readable and stable.
double r1(double v) {
  return std::round(v * 10) / 10;
}
double r4(double v) {
  return std::round(v * 1e4) / 1e4;
}

nlohmann::json findingJson(const detect::Finding& f) {
  nlohmann::json j;
  j["rate_per_hour"] = r4(f.slopePerSecond * 3600);
  j["rate_per_hour_interval"] = {r4(f.slopeLowPerSecond * 3600), r4(f.slopeHighPerSecond * 3600)};
  j["exhaustion_in_seconds"] = r1(f.exhaustionSeconds);
  j["exhaustion_interval_seconds"] = {r1(f.exhaustionLowSeconds), r1(f.exhaustionHighSeconds)};
  j["confidence"] = r4(f.confidence);
  j["evidence"] = {
      {"growth_model", std::string(detect::name(f.growth))},
      {"rejected_explanation", std::string(detect::name(f.benign))},
      {"bic_margin", r4(f.margin)},
      {"window_seconds", r1(f.windowSeconds)},
      {"growth_seconds", r1(f.growthSeconds)},
      {"points", f.pointsUsed},
      {"sawtooth_group_blocks", f.groupBlocks},
      {"value", f.value},
      {"limit", f.limit},
  };
  return j;
}

// One JSON line. Every string in it went through printable(); invalid bytes that slip through
// anyway become U+FFFD instead of aborting the run.
std::string jsonLine(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int runAnalyze(const std::vector<std::string>& files, const detect::DetectorOptions& opts,
               std::ostream& out, std::ostream& err) {
  int rc = 0;
  for (const std::string& file : files) {
    nlohmann::json line;
    line["file"] = printable(file, 4096);
    auto trace = detect::readTrace(file);
    if (!trace) {
      err << "leakguard analyze: " << trace.error().message << "\n";
      line["leak"] = false;
      line["resource"] = nullptr;
      line["first_alarm"] = nullptr;
      line["error"] = trace.error().message;
      out << jsonLine(line) << "\n" << std::flush;
      rc = 1;
      continue;
    }
    const detect::ReplayResult r = detect::replayTrace(*trace, opts);
    line["leak"] = r.firstResource.has_value();
    if (r.firstResource) {
      const auto& first = *r.resources[static_cast<std::size_t>(*r.firstResource)].first;
      line["resource"] = std::string(detect::name(*r.firstResource));
      line["first_alarm"] = first.time;
      line.update(findingJson(first));
    } else {
      line["resource"] = nullptr;
      line["first_alarm"] = nullptr;
    }
    nlohmann::json watched = nlohmann::json::array();
    for (detect::Resource res : detect::kAllResources) {
      if (r.resources[static_cast<std::size_t>(res)].present)
        watched.push_back(std::string(detect::name(res)));
    }
    line["resources_watched"] = watched;
    line["memory_signal"] = std::string(r.memorySignal);
    line["samples"] = trace->rows.size();
    out << jsonLine(line) << "\n" << std::flush;
  }
  return rc;
}

}  // namespace lg::cli
