#include "controllers/reconcile/detection_wire.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "controllers/detect/window_analysis.h"

namespace lg::reconcile {
namespace {

using nlohmann::json;

// A field of `o` that must be a finite number.
Result<double> number(const json& o, const char* key, std::string_view where) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_number() || !std::isfinite(it->get<double>()))
    return makeError(std::string(where) + ": \"" + key + "\" is not a finite number");
  return it->get<double>();
}

// A field of `o` that must be a string.
Result<std::string> text(const json& o, const char* key, std::string_view where) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string())
    return makeError(std::string(where) + ": \"" + key + "\" is not a string");
  return it->get<std::string>();
}

// A field that must be an array (an absent one is empty).
Result<const json*> array(const json& o, const char* key, std::string_view where) {
  static const json kEmpty = json::array();
  auto it = o.find(key);
  if (it == o.end()) return &kEmpty;
  if (!it->is_array()) return makeError(std::string(where) + ": \"" + key + "\" is not a list");
  return &*it;
}

Result<json> parseObject(std::string_view body, std::string_view what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return makeError(std::string(what) + " is not a JSON object");
  return j;
}

template <typename Enum, int N>
std::optional<Enum> enumNamed(std::string_view s) {
  for (int i = 0; i < N; ++i)
    if (detect::name(static_cast<Enum>(i)) == s) return static_cast<Enum>(i);
  return std::nullopt;
}

json findingJson(const detect::Finding& f) {
  return {{"time", f.time},
          {"value", f.value},
          {"limit", f.limit},
          {"slopePerSecond", f.slopePerSecond},
          {"slopeLowPerSecond", f.slopeLowPerSecond},
          {"slopeHighPerSecond", f.slopeHighPerSecond},
          {"exhaustionSeconds", f.exhaustionSeconds},
          {"exhaustionLowSeconds", f.exhaustionLowSeconds},
          {"exhaustionHighSeconds", f.exhaustionHighSeconds},
          {"confidence", f.confidence},
          {"margin", f.margin},
          {"windowSeconds", f.windowSeconds},
          {"growthSeconds", f.growthSeconds},
          {"growth", detect::name(f.growth)},
          {"benign", detect::name(f.benign)},
          {"level", f.level},
          {"pointsUsed", f.pointsUsed},
          {"groupBlocks", f.groupBlocks},
          {"lives", f.lives},
          {"lifeSeconds", f.lifeSeconds}};
}

Result<detect::Finding> findingFrom(const json& j) {
  constexpr std::string_view where = "finding";
  if (!j.is_object()) return makeError("finding is not an object");
  detect::Finding f;
  const std::pair<const char*, double*> numbers[] = {
      {"time", &f.time},
      {"value", &f.value},
      {"limit", &f.limit},
      {"slopePerSecond", &f.slopePerSecond},
      {"slopeLowPerSecond", &f.slopeLowPerSecond},
      {"slopeHighPerSecond", &f.slopeHighPerSecond},
      {"exhaustionSeconds", &f.exhaustionSeconds},
      {"exhaustionLowSeconds", &f.exhaustionLowSeconds},
      {"exhaustionHighSeconds", &f.exhaustionHighSeconds},
      {"confidence", &f.confidence},
      {"margin", &f.margin},
      {"windowSeconds", &f.windowSeconds},
      {"growthSeconds", &f.growthSeconds},
      {"lifeSeconds", &f.lifeSeconds}};
  for (const auto& [key, out] : numbers) {
    auto v = number(j, key, where);
    if (!v) return v.error();
    *out = *v;
  }
  const std::pair<const char*, int*> counts[] = {{"level", &f.level},
                                                 {"pointsUsed", &f.pointsUsed},
                                                 {"groupBlocks", &f.groupBlocks},
                                                 {"lives", &f.lives}};
  for (const auto& [key, out] : counts) {
    auto v = number(j, key, where);
    if (!v) return v.error();
    if (*v < 0 || *v > 1e9) return makeError(std::string("finding: \"") + key + "\" out of range");
    *out = static_cast<int>(*v);
  }
  auto growth = text(j, "growth", where);
  auto benign = text(j, "benign", where);
  if (!growth || !benign) return makeError("finding: \"growth\" or \"benign\" is not a string");
  auto g = enumNamed<detect::GrowthModel, 4>(*growth);
  auto b = enumNamed<detect::BenignModel, 4>(*benign);
  if (!g || !b)
    return makeError("finding: unknown model \"" + *growth + "\" / \"" + *benign + "\"");
  f.growth = *g;
  f.benign = *b;
  return f;
}

json viewJson(const SeriesView& v) {
  json j = {{"namespace", v.ns},
            {"pod", v.pod},
            {"container", v.container},
            {"containerId", v.containerId},
            {"resource", detect::name(v.resource)},
            {"source", v.source == Source::kAgent ? "agent" : "metrics-server"},
            {"lastSampleTime", v.lastSampleTime},
            {"lastValue", v.lastValue},
            {"limit", v.limit},
            {"line", v.line},
            {"lineName", v.lineName},
            {"restartTimes", v.restartTimes}};
  j["finding"] = v.finding ? findingJson(*v.finding) : json(nullptr);
  return j;
}

Result<SeriesView> viewFrom(const json& j) {
  constexpr std::string_view where = "series";
  if (!j.is_object()) return makeError("series view is not an object");
  SeriesView v;
  const std::pair<const char*, std::string*> strings[] = {{"namespace", &v.ns},
                                                          {"pod", &v.pod},
                                                          {"container", &v.container},
                                                          {"containerId", &v.containerId},
                                                          {"lineName", &v.lineName}};
  for (const auto& [key, out] : strings) {
    auto s = text(j, key, where);
    if (!s) return s.error();
    *out = std::move(*s);
  }
  auto resource = text(j, "resource", where);
  if (!resource) return resource.error();
  auto r = detect::parseResource(*resource);
  if (!r) return makeError("series: unknown resource \"" + *resource + "\"");
  v.resource = *r;
  auto source = text(j, "source", where);
  if (!source) return source.error();
  v.source = *source == "agent" ? Source::kAgent : Source::kMetricsServer;
  const std::pair<const char*, double*> numbers[] = {{"lastSampleTime", &v.lastSampleTime},
                                                     {"lastValue", &v.lastValue},
                                                     {"limit", &v.limit},
                                                     {"line", &v.line}};
  for (const auto& [key, out] : numbers) {
    auto n = number(j, key, where);
    if (!n) return n.error();
    *out = *n;
  }
  auto restarts = array(j, "restartTimes", where);
  if (!restarts) return restarts.error();
  for (const auto& t : **restarts) {
    if (!t.is_number() || !std::isfinite(t.get<double>()))
      return makeError("series: a restart time is not a finite number");
    v.restartTimes.push_back(t.get<double>());
  }
  if (auto it = j.find("finding"); it != j.end() && !it->is_null()) {
    auto f = findingFrom(*it);
    if (!f) return f.error();
    v.finding = *f;
  }
  return v;
}

json assignmentJson(const DetectionAssignment& a, json& out) {
  json profiles = json::array();
  for (const auto& p : a.profiles)
    profiles.push_back({{"margin", p.margin},
                        {"horizonSeconds", p.horizonSeconds},
                        {"minGrowthSeconds", p.minGrowthSeconds}});
  json pods = json::array();
  for (const auto& p : a.pods) {
    json containers = json::array();
    for (const auto& c : p.containers) {
      json cj = {{"name", c.name}, {"runtimeOptionsInSpec", c.runtimeOptionsInSpec}};
      for (detect::Resource r : detect::kAllResources) {
        const int i = c.profile[static_cast<int>(r)];
        cj[std::string(detect::name(r))] = i >= 0 ? json(i) : json(nullptr);
      }
      containers.push_back(std::move(cj));
    }
    pods.push_back({{"uid", p.uid}, {"containers", std::move(containers)}});
  }
  out["profiles"] = std::move(profiles);
  out["pods"] = std::move(pods);
  return out;
}

Result<AssignedContainer> containerFrom(const json& c, std::size_t profiles) {
  constexpr std::string_view where = "assigned container";
  if (!c.is_object()) return makeError("an assigned container is not an object");
  AssignedContainer out;
  auto name = text(c, "name", where);
  if (!name) return name.error();
  out.name = std::move(*name);
  if (auto it = c.find("runtimeOptionsInSpec"); it != c.end()) {
    if (!it->is_boolean())
      return makeError("assigned container " + out.name + ": runtimeOptionsInSpec is not a bool");
    out.runtimeOptionsInSpec = it->get<bool>();
  }
  for (detect::Resource r : detect::kAllResources) {
    auto it = c.find(std::string(detect::name(r)));
    if (it == c.end() || it->is_null()) continue;
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() >= profiles)
      return makeError("assigned container " + out.name + ": " + std::string(detect::name(r)) +
                       " names no profile");
    out.profile[static_cast<int>(r)] = static_cast<int>(it->get<std::uint64_t>());
  }
  return out;
}

Result<DetectionAssignment> assignmentFrom(const json& j) {
  constexpr std::string_view where = "assignment";
  DetectionAssignment a;
  auto profiles = array(j, "profiles", where);
  if (!profiles) return profiles.error();
  for (const auto& p : **profiles) {
    if (!p.is_object()) return makeError("assignment: a profile is not an object");
    auto margin = number(p, "margin", "profile");
    auto horizon = number(p, "horizonSeconds", "profile");
    auto growth = number(p, "minGrowthSeconds", "profile");
    if (!margin) return margin.error();
    if (!horizon) return horizon.error();
    if (!growth) return growth.error();
    if (*margin < 0 || *horizon <= 0 || *growth <= 0)
      return makeError("profile: margin, horizonSeconds or minGrowthSeconds out of range");
    a.profiles.push_back({*margin, *horizon, *growth});
  }
  auto pods = array(j, "pods", where);
  if (!pods) return pods.error();
  for (const auto& p : **pods) {
    if (!p.is_object()) return makeError("assignment: a pod is not an object");
    AssignedPod ap;
    auto uid = text(p, "uid", "assigned pod");
    if (!uid || uid->empty()) return makeError("assigned pod: \"uid\" is not a non-empty string");
    ap.uid = std::move(*uid);
    auto containers = array(p, "containers", "assigned pod " + ap.uid);
    if (!containers) return containers.error();
    for (const auto& c : **containers) {
      auto ac = containerFrom(c, a.profiles.size());
      if (!ac) return ac.error();
      ap.containers.push_back(std::move(*ac));
    }
    a.pods.push_back(std::move(ap));
  }
  return a;
}

Result<std::pair<double, double>> pointFrom(const json& p) {
  if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number() ||
      !std::isfinite(p[0].get<double>()) || !std::isfinite(p[1].get<double>()))
    return makeError("history: a point is not [time, value]");
  return std::pair{p[0].get<double>(), p[1].get<double>()};
}

}  // namespace

std::string toJson(const DetectionRequest& r) {
  json j = {{"generation", r.generation}};
  if (r.assignment) assignmentJson(*r.assignment, j);
  return j.dump();
}

Result<DetectionRequest> parseDetectionRequest(std::string_view body) {
  auto j = parseObject(body, "the detection request");
  if (!j) return j.error();
  auto g = j->find("generation");
  if (g == j->end() || !g->is_number_unsigned())
    return makeError("detection request: \"generation\" is not a whole number");
  DetectionRequest r{.generation = g->get<std::uint64_t>()};
  if (j->contains("pods") || j->contains("profiles")) {
    auto a = assignmentFrom(*j);
    if (!a) return a.error();
    r.assignment = std::move(*a);
  }
  return r;
}

std::string toJson(const DetectionReport& r) {
  json pods = json::array();
  for (const auto& p : r.pods)
    pods.push_back({{"uid", p.uid}, {"lastSample", p.lastSample}});
  json findings = json::array();
  for (const auto& [k, v] : r.findings)
    findings.push_back({{"podUid", k.podUid},
                        {"container", k.container},
                        {"resource", detect::name(k.resource)},
                        {"view", viewJson(v)}});
  return json{{"node", r.node}, {"epoch", r.epoch},        {"generation", r.generation},
              {"time", r.time}, {"pods", std::move(pods)}, {"findings", std::move(findings)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<DetectionReport> parseDetectionReport(std::string_view body) {
  constexpr std::string_view where = "detection report";
  auto j = parseObject(body, "the detection report");
  if (!j) return j.error();
  DetectionReport r;
  auto node = text(*j, "node", where);
  auto epoch = text(*j, "epoch", where);
  auto time = number(*j, "time", where);
  if (!node) return node.error();
  if (!epoch) return epoch.error();
  if (!time) return time.error();
  r.node = std::move(*node);
  r.epoch = std::move(*epoch);
  r.time = *time;
  auto g = j->find("generation");
  if (g == j->end() || !g->is_number_unsigned())
    return makeError("detection report: \"generation\" is not a whole number");
  r.generation = g->get<std::uint64_t>();
  auto pods = array(*j, "pods", where);
  if (!pods) return pods.error();
  for (const auto& p : **pods) {
    if (!p.is_object()) return makeError("detection report: a pod is not an object");
    auto uid = text(p, "uid", "reported pod");
    auto last = number(p, "lastSample", "reported pod");
    if (!uid) return uid.error();
    if (!last) return last.error();
    r.pods.push_back({std::move(*uid), *last});
  }
  auto findings = array(*j, "findings", where);
  if (!findings) return findings.error();
  for (const auto& f : **findings) {
    if (!f.is_object()) return makeError("detection report: a finding is not an object");
    auto uid = text(f, "podUid", "reported finding");
    auto container = text(f, "container", "reported finding");
    auto resource = text(f, "resource", "reported finding");
    if (!uid) return uid.error();
    if (!container) return container.error();
    if (!resource) return resource.error();
    auto res = detect::parseResource(*resource);
    if (!res) return makeError("reported finding: unknown resource \"" + *resource + "\"");
    auto v = viewFrom(f.value("view", json()));
    if (!v) return v.error();
    if (!v->finding) return makeError("reported finding of " + *uid + ": the view has no finding");
    r.findings.emplace_back(SeriesKey{std::move(*uid), std::move(*container), *res}, std::move(*v));
  }
  return r;
}

std::string toJson(const SeriesReading& r) {
  json history = json::array();
  for (const auto& [t, v] : r.history)
    history.push_back({t, v});
  return json{{"view", r.view ? viewJson(*r.view) : json(nullptr)}, {"history", std::move(history)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SeriesReading> parseSeriesReading(std::string_view body) {
  auto j = parseObject(body, "the series");
  if (!j) return j.error();
  SeriesReading r;
  if (auto it = j->find("view"); it != j->end() && !it->is_null()) {
    auto v = viewFrom(*it);
    if (!v) return v.error();
    r.view = std::move(*v);
  }
  auto history = array(*j, "history", "series");
  if (!history) return history.error();
  r.history.reserve((*history)->size());
  for (const auto& p : **history) {
    auto point = pointFrom(p);
    if (!point) return point.error();
    r.history.push_back(*point);
  }
  return r;
}

std::string toJson(const std::optional<detect::SizingSeries>& s) {
  if (!s) return R"({"series":null})";
  json settled = json::array();
  for (const auto& [v, n] : s->settled)
    settled.push_back({v, n});
  return json{{"series",
               {{"shape", detect::name(s->assessment.shape)},
                {"spanSeconds", s->assessment.spanSeconds},
                {"settledFrom", s->assessment.settledFrom},
                {"settled", std::move(settled)}}}}
      .dump();
}

Result<std::optional<detect::SizingSeries>> parseSizingReading(std::string_view body) {
  constexpr std::string_view where = "sizing series";
  auto j = parseObject(body, "the sizing series");
  if (!j) return j.error();
  auto it = j->find("series");
  if (it == j->end() || it->is_null()) return std::optional<detect::SizingSeries>{};
  if (!it->is_object()) return makeError("sizing series is not an object");
  detect::SizingSeries s;
  auto shape = text(*it, "shape", where);
  if (!shape) return shape.error();
  bool known = false;
  for (auto u : {detect::UsageShape::kTooShort, detect::UsageShape::kSteady,
                 detect::UsageShape::kWarmup, detect::UsageShape::kStillRising})
    if (detect::name(u) == *shape) {
      s.assessment.shape = u;
      known = true;
    }
  if (!known) return makeError("sizing series: unknown shape \"" + *shape + "\"");
  auto span = number(*it, "spanSeconds", where);
  auto from = number(*it, "settledFrom", where);
  if (!span) return span.error();
  if (!from) return from.error();
  s.assessment.spanSeconds = *span;
  s.assessment.settledFrom = *from;
  auto settled = array(*it, "settled", where);
  if (!settled) return settled.error();
  // At most a week of 1-s samples in all (6 h at 10 s is 2,160): a reply cannot make the
  // controller pool more values than that.
  constexpr std::uint64_t kMaxSamples = 7 * 86400;
  std::uint64_t total = 0;
  for (const auto& p : **settled) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number_unsigned() ||
        !std::isfinite(p[0].get<double>()) || p[1].get<std::uint64_t>() > kMaxSamples)
      return makeError("sizing series: a settled value is not [value, count]");
    total += p[1].get<std::uint64_t>();
    if (total > kMaxSamples) return makeError("sizing series: more samples than a week of them");
    if (!s.settled.empty() && p[0].get<double>() <= s.settled.back().first)
      return makeError("sizing series: settled values are not ascending");
    s.settled.emplace_back(p[0].get<double>(),
                           static_cast<std::uint32_t>(p[1].get<std::uint64_t>()));
  }
  return std::optional<detect::SizingSeries>{std::move(s)};
}

std::string sizingTarget(const SeriesKey& key, double minHistorySeconds) {
  return "/v1/sizing?pod=" + key.podUid + "&container=" + key.container +
         "&resource=" + std::string(detect::name(key.resource)) + "&minHistory=" +
         std::to_string(static_cast<long long>(
             std::clamp(std::isfinite(minHistorySeconds) ? minHistorySeconds : 0.0, 0.0, 1e9)));
}

std::string seriesTarget(const SeriesKey& key, bool withHistory) {
  std::string t = "/v1/series?pod=" + key.podUid + "&container=" + key.container +
                  "&resource=" + std::string(detect::name(key.resource));
  if (withHistory) t += "&history=1";
  return t;
}

}  // namespace lg::reconcile
