#pragma once
// Records events.k8s.io/v1 Events about objects, the way client-go's events.EventRecorder does:
// the first occurrence creates an Event; repeats of the same (regarding object, type, reason,
// action) within seriesWindow of the previous one become a series on that Event
// (series.count, series.lastObservedTime) instead of new objects. Series updates are merge
// patches, written at most once per patchInterval per Event; flush() writes the rest, so
// callers flush periodically (or at shutdown). The first note of a series is kept, as in
// client-go. Notes must not carry secrets (house rules); they are cut to 1 KiB, reasons and
// actions to 128 bytes (the API's limits).
// Thread-safe. API writes happen outside the lock; the ApiClient must outlive the recorder.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "operator/kube/api_client.h"
#include "operator/util/clock.h"

namespace lg::kube {

struct ObjectReference {
  std::string apiVersion;  // "v1", "leakguard.io/v1alpha1"
  std::string kind;        // "Pod"
  std::string ns;          // "" for cluster-scoped objects (their events go to "default")
  std::string name;
  std::string uid;
  std::string fieldPath;  // "spec.containers{app}" or ""
  nlohmann::json toJson() const;
};

enum class EventType { kNormal, kWarning };

struct EventRecorderOptions {
  std::string reportingController = "leakguard.io/controller";
  std::string reportingInstance;           // required by the API: this replica (pod name)
  std::chrono::seconds seriesWindow{360};  // client-go's: 6 minutes
  std::chrono::seconds patchInterval{30};
  size_t maxTracked = 4096;  // series remembered at once; the stalest are forgotten first
  const Clock* clock = &SystemClock::instance();
  std::optional<std::chrono::milliseconds> timeout;  // per API call
};

class EventRecorder {
 public:
  EventRecorder(ApiClient& client, EventRecorderOptions options);

  // Records one occurrence now. The error, if any, is the API's (callers usually log it:
  // a lost Event must not fail a reconcile).
  Status record(const ObjectReference& regarding, EventType type, std::string_view reason,
                std::string_view action, std::string_view note);
  // Writes series counts not yet written. Returns the first error.
  Status flush();
  // Series tracked now (tests).
  size_t tracked() const;

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string,
                         std::string, int, std::string, std::string>;
  struct Series {
    std::string ns;
    std::string name;  // "" while the create is in flight
    int64_t count = 1;
    int64_t writtenCount = 1;
    Clock::time_point lastObserved;
    std::chrono::steady_clock::time_point lastObservedSteady;
    std::chrono::steady_clock::time_point lastWrite;
    nlohmann::json event;  // as created: re-created from it if it vanished (expired by TTL)
  };

  static Key keyOf(const ObjectReference& r, EventType type, std::string_view reason,
                   std::string_view action);
  nlohmann::json newEvent(const ObjectReference& regarding, EventType type, std::string_view reason,
                          std::string_view action, std::string_view note) const;
  // Creates `event` (with its series, when count > 1) and remembers its name under key.
  Status create(const Key& key, nlohmann::json event, int64_t count,
                Clock::time_point lastObserved);
  Status writeSeries(const Key& key, const std::string& ns, const std::string& name, int64_t count,
                     Clock::time_point lastObserved);
  WriteOptions writeOptions() const;
  void forgetStale(std::chrono::steady_clock::time_point now);

  ApiClient& client_;
  const EventRecorderOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<Key, Series> series_;
};

}  // namespace lg::kube
