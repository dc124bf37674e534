#include "controllers/sources/pod_metrics.h"

#include "controllers/policy/duration.h"
#include "operator/kube/quantity.h"
#include "operator/kube/rfc3339.h"

namespace lg::sources {
namespace {

void parseItem(const nlohmann::json& item, PodMetricsParse& out) {
  const auto* md = item.is_object() && item.contains("metadata") ? &item["metadata"] : nullptr;
  if (!md || !md->is_object() || !md->contains("name") || !(*md)["name"].is_string() ||
      !item.contains("containers") || !item["containers"].is_array()) {
    ++out.skipped;
    return;
  }
  ContainerUsage base;
  base.pod = (*md)["name"].get<std::string>();
  base.ns = md->value("namespace", "");
  if (auto ts = item.find("timestamp"); ts != item.end() && ts->is_string()) {
    auto t = kube::parseRfc3339(ts->get<std::string>());
    if (!t) {
      ++out.skipped;
      return;
    }
    base.timestamp = toSeconds(*t);
  } else {
    ++out.skipped;
    return;
  }
  if (auto w = item.find("window"); w != item.end() && w->is_string()) {
    auto d = policy::parseDuration(w->get<std::string>());
    if (d) base.windowSeconds = *d;
  }
  for (const auto& c : item["containers"]) {
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string() || !c.contains("usage") ||
        !c["usage"].is_object()) {
      ++out.skipped;
      continue;
    }
    ContainerUsage u = base;
    u.container = c["name"].get<std::string>();
    const auto& usage = c["usage"];
    auto mem = usage.find("memory");
    if (mem == usage.end() || !mem->is_string()) {
      ++out.skipped;
      continue;
    }
    auto q = kube::Quantity::parse(mem->get<std::string>());
    if (!q || q->negative()) {
      ++out.skipped;
      continue;
    }
    u.workingSetBytes = q->value();
    if (auto cpu = usage.find("cpu"); cpu != usage.end() && cpu->is_string()) {
      if (auto cq = kube::Quantity::parse(cpu->get<std::string>())) u.cpuCores = cq->value();
    }
    out.usages.push_back(std::move(u));
  }
}

}  // namespace

PodMetricsParse parsePodMetrics(const nlohmann::json& j) {
  PodMetricsParse out;
  if (j.is_object() && j.contains("items") && j["items"].is_array()) {
    for (const auto& item : j["items"])
      parseItem(item, out);
  } else if (j.is_array()) {
    for (const auto& item : j)
      parseItem(item, out);
  } else {
    parseItem(j, out);
  }
  return out;
}

}  // namespace lg::sources
