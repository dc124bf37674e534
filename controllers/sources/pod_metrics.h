#pragma once
// Parses metrics.k8s.io/v1beta1 PodMetrics (one object or a PodMetricsList) into per-container
// working-set samples. Pure; thread-safe. Malformed items are skipped and counted, never fatal:
// the operator must not crash on what the cluster sends it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lg::sources {

struct ContainerUsage {
  std::string ns;
  std::string pod;
  std::string container;
  double timestamp = 0;      // seconds since the epoch: the end of the measurement window
  double windowSeconds = 0;  // how long the measurement covered
  double workingSetBytes = 0;
  double cpuCores = 0;
};

struct PodMetricsParse {
  std::vector<ContainerUsage> usages;
  int skipped = 0;  // items or containers that could not be read
};

PodMetricsParse parsePodMetrics(const nlohmann::json& listOrItem);

}  // namespace lg::sources
