#include "controllers/reconcile/sizing_advisor.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "controllers/policy/duration.h"
#include "controllers/reconcile/incident_builder.h"
#include "operator/kube/quantity.h"

namespace lg::reconcile {
namespace {

std::string quantity(double bytes) {
  return bytes > 0 ? kube::formatBytes(bytes) : "";
}

// A recommended size: whole MiB by construction, written exactly ("1050Mi", never a rounded
// "1Gi" below what was computed).
std::string mebibytes(double bytes) {
  return std::to_string(std::llround(bytes / (1 << 20))) + "Mi";
}

std::string podsText(int n) {
  return std::to_string(n) + (n == 1 ? " pod" : " pods");
}

// "p90 98.2Mi and peak 101Mi of the plateau over 58m (1 pod), +15% headroom"
std::string basisText(const WorkloadSizing& w, const detect::SizingOptions& opts) {
  const auto& r = w.recommendation;
  const int pct = static_cast<int>(std::lround(opts.requestQuantile * 100));
  const int headroom = static_cast<int>(std::lround(opts.headroom * 100));
  std::string of = r.shape == detect::UsageShape::kWarmup ? "of the plateau after its warm-up"
                                                          : "of steady usage";
  std::string text = "p" + std::to_string(pct) + " " + kube::formatBytes(r.quantileBytes) +
                     " and peak " + kube::formatBytes(r.peakBytes) + " " + of + " over " +
                     policy::formatDuration(r.observedSeconds) + " (" + podsText(r.seriesUsed) +
                     "), +" + std::to_string(headroom) + "% headroom";
  if (r.seriesRising > 0) text += "; " + podsText(r.seriesRising) + " left out, still rising";
  return text;
}

}  // namespace

detect::SizingOptions sizingOptions(const policy::Recommendations& r) {
  return {.requestQuantile = r.requestQuantile / 100.0,
          .headroom = r.headroomPercent / 100.0,
          .minHistorySeconds = r.minHistorySeconds};
}

std::vector<WorkloadSizing> adviseSizing(const std::vector<const runtime::PodProjection*>& pods,
                                         const ReplicaSetLookup& rs, const UsageReader& hub,
                                         const KnownLeaks& leaks, const detect::SizingOptions& opts,
                                         double now, const policy::LeakPolicySpec& spec) {
  struct Group {
    WorkloadSizing sizing;
    std::vector<detect::SizingSeries> series;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const auto* pod : pods) {
    const Workload wl = workloadOf(*pod, rs);
    const std::string key = wl.kind.empty() ? "Pod/" + pod->name.str() : wl.kind + "/" + wl.name;
    const std::string uid = pod->uid.str();
    const auto findings = hub.currentFindings(uid, now);
    for (const auto& c : pod->containers) {
      if (!spec.watchesContainer(c.name.str())) continue;
      Group& g = groups[{key, c.name.str()}];
      g.sizing.workload = key;
      g.sizing.container = c.name.str();
      ++g.sizing.pods;
      // The pods of a workload share a template, but one may be of a newer revision: any pod's
      // figure is as current as another's; the largest is the one that binds.
      g.sizing.currentRequestBytes =
          std::max(g.sizing.currentRequestBytes, static_cast<double>(c.memoryRequestBytes));
      g.sizing.currentLimitBytes =
          std::max(g.sizing.currentLimitBytes, static_cast<double>(c.memoryLimitBytes));
      for (const auto& [sk, view] : findings) {
        if (sk.container != g.sizing.container || sk.resource != detect::Resource::kMemory ||
            !view.finding)
          continue;
        g.sizing.leaking = true;
        g.sizing.leakBytesPerSecond =
            std::max(g.sizing.leakBytesPerSecond, view.finding->slopePerSecond);
      }
      // The current container only: a restarted one starts from nothing.
      if (auto summary =
              hub.sizingSeries({uid, g.sizing.container, detect::Resource::kMemory}, opts))
        g.series.push_back(std::move(*summary));
    }
  }
  std::vector<WorkloadSizing> out;
  out.reserve(groups.size());
  for (auto& [key, g] : groups) {
    if (const auto known = leaks.find(key); known != leaks.end()) {
      g.sizing.leaking = true;
      g.sizing.leakBytesPerSecond = std::max(g.sizing.leakBytesPerSecond, known->second);
    }
    if (g.sizing.leaking) {
      g.sizing.raise = detect::raiseEffect(g.sizing.currentLimitBytes, g.sizing.leakBytesPerSecond);
    } else {
      g.sizing.recommendation = detect::recommendFromSummaries(g.series, opts);
    }
    out.push_back(std::move(g.sizing));
  }
  return out;
}

nlohmann::json sizingStatus(const std::vector<WorkloadSizing>& sizing,
                            const detect::SizingOptions& opts, std::size_t maxItems) {
  std::vector<const WorkloadSizing*> order;
  for (const auto& w : sizing)
    order.push_back(&w);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto* a, const auto* b) { return a->leaking > b->leaking; });
  nlohmann::json items = nlohmann::json::array();
  for (const auto* w : order) {
    if (items.size() >= maxItems) break;
    nlohmann::json j = {{"workload", w->workload}, {"container", w->container}, {"pods", w->pods}};
    nlohmann::json current = nlohmann::json::object();
    if (w->currentRequestBytes > 0) current["request"] = quantity(w->currentRequestBytes);
    if (w->currentLimitBytes > 0) current["limit"] = quantity(w->currentLimitBytes);
    j["current"] = current;
    const auto& r = w->recommendation;
    if (w->leaking && w->currentLimitBytes <= 0) {
      j["shape"] = "leaking";
      j["leak"] = {{"rate", formatRate(detect::Resource::kMemory, w->leakBytesPerSecond)}};
      j["basis"] = "leaking " + j["leak"]["rate"].get<std::string>() +
                   " with no limit: it grows until the node runs short; no size until the leak "
                   "is fixed";
    } else if (w->leaking && !(w->leakBytesPerSecond > 0)) {
      // An open incident whose rate is not known (an older controller's): no raise to price.
      j["shape"] = "leaking";
      j["leak"] = nlohmann::json::object();
      j["basis"] =
          "leaking: a bigger limit only postpones the OOM kill; no size until the leak is fixed";
    } else if (w->leaking) {
      const std::string rate = formatRate(detect::Resource::kMemory, w->leakBytesPerSecond);
      const std::string raise = "+" + kube::formatBytes(w->raise.raiseBytes);
      const std::string delay = policy::formatDuration(w->raise.delaySeconds);
      j["shape"] = "leaking";
      j["leak"] = {{"rate", rate}, {"raise", raise}, {"delay", delay}};
      j["basis"] = "leaking " + rate + ": a bigger limit only postpones the OOM kill (" + raise +
                   " delays it by " + delay + "); no size until the leak is fixed";
    } else if (r.ok) {
      j["shape"] = std::string(detect::name(r.shape));
      j["request"] = mebibytes(r.requestBytes);
      j["limit"] = mebibytes(r.limitBytes);
      j["basis"] = basisText(*w, opts);
    } else if (r.shape == detect::UsageShape::kStillRising) {
      j["shape"] = "still-rising";
      j["basis"] =
          "usage still rising (a warm-up short of its plateau, or a leak not yet confirmed): "
          "no size until it levels off";
    } else {
      j["shape"] = "too-short";
      j["basis"] = r.longestSeconds > 0 ? "only " + policy::formatDuration(r.longestSeconds) +
                                              " of usage observed; sizing needs " +
                                              policy::formatDuration(opts.minHistorySeconds) +
                                              " (spec.recommendations.minHistory)"
                                        : "no usage observed yet";
    }
    items.push_back(std::move(j));
  }
  return items;
}

}  // namespace lg::reconcile
