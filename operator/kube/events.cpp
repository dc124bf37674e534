#include "operator/kube/events.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "operator/kube/rfc3339.h"

namespace lg::kube {
namespace {

constexpr size_t kNoteLimit = 1024;
constexpr size_t kShortLimit = 128;
constexpr size_t kNameLimit = 253;

// Cuts to at most max bytes without splitting a UTF-8 sequence.
std::string cut(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return std::string(s.substr(0, n));
}

ResourceRef eventsRef(const std::string& ns, const std::string& name = "") {
  return ResourceRef{.group = "events.k8s.io",
                     .version = "v1",
                     .resource = "events",
                     .ns = ns,
                     .name = name,
                     .subresource = ""};
}

nlohmann::json seriesJson(int64_t count, Clock::time_point lastObserved) {
  return {{"count", count}, {"lastObservedTime", formatRfc3339Micro(lastObserved)}};
}

}  // namespace

WriteOptions EventRecorder::writeOptions() const {
  WriteOptions w;
  w.fieldManager = "";  // Events are written whole, not managed field by field
  w.timeout = options_.timeout;
  return w;
}

nlohmann::json ObjectReference::toJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (!apiVersion.empty()) j["apiVersion"] = apiVersion;
  if (!kind.empty()) j["kind"] = kind;
  if (!ns.empty()) j["namespace"] = ns;
  if (!name.empty()) j["name"] = name;
  if (!uid.empty()) j["uid"] = uid;
  if (!fieldPath.empty()) j["fieldPath"] = fieldPath;
  return j;
}

EventRecorder::EventRecorder(ApiClient& client, EventRecorderOptions options)
    : client_(client), options_(std::move(options)), clock_(*options_.clock) {}

EventRecorder::Key EventRecorder::keyOf(const ObjectReference& r, EventType type,
                                        std::string_view reason, std::string_view action) {
  return Key{r.apiVersion,
             r.kind,
             r.ns,
             r.name,
             r.uid,
             r.fieldPath,
             static_cast<int>(type),
             cut(reason, kShortLimit),
             cut(action, kShortLimit)};
}

nlohmann::json EventRecorder::newEvent(const ObjectReference& regarding, EventType type,
                                       std::string_view reason, std::string_view action,
                                       std::string_view note) const {
  const auto now = clock_.now();
  const std::string ns = regarding.ns.empty() ? "default" : regarding.ns;
  char suffix[32];
  std::snprintf(
      suffix, sizeof suffix, ".%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
  const std::string base = regarding.name.empty() ? "leakguard" : regarding.name;
  return {{"apiVersion", "events.k8s.io/v1"},
          {"kind", "Event"},
          {"metadata", {{"name", cut(base, kNameLimit - 17) + suffix}, {"namespace", ns}}},
          {"eventTime", formatRfc3339Micro(now)},
          {"reportingController", options_.reportingController},
          {"reportingInstance", cut(options_.reportingInstance, kShortLimit)},
          {"action", cut(action, kShortLimit)},
          {"reason", cut(reason, kShortLimit)},
          {"type", type == EventType::kWarning ? "Warning" : "Normal"},
          {"note", cut(note, kNoteLimit)},
          {"regarding", regarding.toJson()}};
}

Status EventRecorder::record(const ObjectReference& regarding, EventType type,
                             std::string_view reason, std::string_view action,
                             std::string_view note) {
  const Key key = keyOf(regarding, type, reason, action);
  const auto now = clock_.now();
  const auto steady = clock_.steadyNow();
  std::string ns, name;
  int64_t count = 0;
  nlohmann::json fresh;  // set when this occurrence starts a new Event
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(key);
    if (it != series_.end() && steady - it->second.lastObservedSteady < options_.seriesWindow) {
      Series& s = it->second;
      ++s.count;
      s.lastObserved = now;
      s.lastObservedSteady = steady;
      // The first repeat is written at once (so `kubectl get events` shows it is recurring);
      // later ones at most once per patchInterval.
      const bool due = s.writtenCount == 1 || steady - s.lastWrite >= options_.patchInterval;
      if (s.name.empty() || !due) return okStatus();  // create in flight, or for flush()
      s.lastWrite = steady;
      s.writtenCount = s.count;
      ns = s.ns;
      name = s.name;
      count = s.count;
    } else {
      if (series_.size() >= options_.maxTracked) forgetStale(steady);
      Series s;
      s.event = newEvent(regarding, type, reason, action, note);
      s.ns = s.event["metadata"]["namespace"].get<std::string>();
      s.lastObserved = now;
      s.lastObservedSteady = steady;
      s.lastWrite = steady;
      fresh = s.event;
      series_.insert_or_assign(key, std::move(s));
    }
  }
  // API calls run outside the lock; repeats meanwhile count up without writing.
  if (!fresh.is_null()) return create(key, std::move(fresh), 1, now);
  return writeSeries(key, ns, name, count, now);
}

Status EventRecorder::create(const Key& key, nlohmann::json event, int64_t count,
                             Clock::time_point lastObserved) {
  if (count > 1) event["series"] = seriesJson(count, lastObserved);
  const std::string ns = event["metadata"]["namespace"];
  auto created = client_.create(eventsRef(ns), event, writeOptions());
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (!created) {
    if (it != series_.end() && it->second.name.empty()) series_.erase(it);
    return created.error();
  }
  if (it != series_.end()) {
    it->second.name = created->value("/metadata/name"_json_pointer, std::string());
    it->second.writtenCount = std::max<int64_t>(count, 1);
  }
  return okStatus();
}

Status EventRecorder::writeSeries(const Key& key, const std::string& ns, const std::string& name,
                                  int64_t count, Clock::time_point lastObserved) {
  auto patched = client_.patch(eventsRef(ns, name), PatchType::kMerge,
                               {{"series", seriesJson(count, lastObserved)}}, writeOptions());
  if (patched) return okStatus();
  nlohmann::json event;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(key);
    if (it == series_.end() || it->second.name != name) return patched.error();
    if (patched.error().code != 404) {
      it->second.writtenCount = 1;  // unknown: flush() tries again
      return patched.error();
    }
    // The Event expired (the API server keeps them for an hour): start a new object that
    // carries the series on.
    it->second.name.clear();
    event = it->second.event;
    event["metadata"]["name"] =
        event["metadata"]["name"].get<std::string>() + "-" + std::to_string(count);
    it->second.event = event;
  }
  return create(key, std::move(event), count, lastObserved);
}

Status EventRecorder::flush() {
  struct Pending {
    Key key;
    std::string ns, name;
    int64_t count;
    Clock::time_point lastObserved;
  };
  std::vector<Pending> pending;
  {
    std::lock_guard lock(mu_);
    const auto steady = clock_.steadyNow();
    for (auto& [key, s] : series_) {
      if (s.name.empty() || s.count == s.writtenCount) continue;
      s.writtenCount = s.count;
      s.lastWrite = steady;
      pending.push_back({key, s.ns, s.name, s.count, s.lastObserved});
    }
  }
  Status first = okStatus();
  for (const Pending& p : pending) {
    auto s = writeSeries(p.key, p.ns, p.name, p.count, p.lastObserved);
    if (!s && first) first = s;
  }
  return first;
}

size_t EventRecorder::tracked() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

void EventRecorder::forgetStale(std::chrono::steady_clock::time_point now) {
  for (auto it = series_.begin(); it != series_.end();) {
    const bool stale = now - it->second.lastObservedSteady >= options_.seriesWindow;
    it = stale ? series_.erase(it) : std::next(it);
  }
  // Still full: forget the least recently observed.
  while (series_.size() >= options_.maxTracked && !series_.empty()) {
    auto oldest =
        std::min_element(series_.begin(), series_.end(), [](const auto& a, const auto& b) {
          return a.second.lastObservedSteady < b.second.lastObservedSteady;
        });
    series_.erase(oldest);
  }
}

}  // namespace lg::kube
