#pragma once
// FakeApiClient: an in-memory Kubernetes API for unit tests of the runtime and reconcilers.
//
// - Objects live per collection (group/version/resource), keyed "ns/name". Every write takes the
//   next resourceVersion from one global counter, as etcd does, and is appended to an event
//   history; create() fills uid, creationTimestamp and generation, and the name from
//   metadata.generateName when there is none.
// - list() pages by ListOptions.limit with an opaque continue token; label selectors support
//   "k=v", "k==v", "k!=v", "k" and "!k" terms; field selectors "metadata.name=",
//   "metadata.namespace=", "spec.nodeName=", "status.phase=".
// - watch(rv) replays history after rv (410 if rv is older than the last compact()), then
//   streams live events. "" starts at now.
// - replace() honours metadata.resourceVersion (409 on mismatch).
// - Failures are injected per verb (fail()), or into open watch streams (endWatches(),
//   breakWatches(), sendWatchError(), sendBookmark(), injectEvent()).
// - Every call is recorded (calls()).
//
// Thread-safe. Streams returned by watch() may outlive calls into the fake but not the fake.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "operator/kube/api_client.h"

namespace lg::testing {

class FakeApiClient final : public kube::ApiClient {
 public:
  struct Call {
    std::string verb;  // get, list, watch, create, replace, patch, delete
    std::string path;  // ResourceRef::path()
    kube::ResourceRef ref;
    std::string resourceVersion;
    std::string continueToken;
    int limit = 0;
    std::string labelSelector;
    int timeoutSeconds = 0;          // watch
    bool allowBookmarks = false;     // watch
    bool sendInitialEvents = false;  // watch
    nlohmann::json body;             // create/replace/patch bodies
  };

  FakeApiClient();
  ~FakeApiClient() override;

  // ---- kube::ApiClient ----
  Result<nlohmann::json> get(const kube::ResourceRef& ref) override;
  Result<kube::ListPage> list(const kube::ResourceRef& ref, const kube::ListOptions& opts) override;
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::ResourceRef& ref,
                                                   const kube::WatchOptions& opts) override;
  Result<nlohmann::json> create(const kube::ResourceRef& ref, const nlohmann::json& body,
                                const kube::WriteOptions& opts = {}) override;
  Result<nlohmann::json> replace(const kube::ResourceRef& ref, const nlohmann::json& body,
                                 const kube::WriteOptions& opts = {}) override;
  Result<nlohmann::json> patch(const kube::ResourceRef& ref, kube::PatchType type,
                               const nlohmann::json& body,
                               const kube::WriteOptions& opts = {}) override;
  Status remove(const kube::ResourceRef& ref, const kube::DeleteOptions& opts = {}) override;

  // ---- direct state changes (not recorded as calls, but watched like real writes) ----
  // Creates or updates the object (namespace and name from its metadata) in `collection`.
  // Returns the stored object with its new resourceVersion.
  nlohmann::json put(const kube::ResourceRef& collection, nlohmann::json object);
  // Deletes ns/name from `collection`; false if absent.
  bool erase(const kube::ResourceRef& collection, const std::string& ns, const std::string& name);
  std::optional<nlohmann::json> object(const kube::ResourceRef& collection, const std::string& ns,
                                       const std::string& name) const;
  std::size_t count(const kube::ResourceRef& collection) const;
  std::string currentResourceVersion() const;
  // Watches with sendInitialEvents get 422, as from a server without the WatchList feature.
  void refuseStreamingLists() {
    std::lock_guard g(mu_);
    refuseStreamingLists_ = true;
  }
  // Forgets history: watches from a resourceVersion older than now get 410 Gone.
  void compact();

  // ---- failure injection ----
  // The next `times` calls of `verb` that satisfy `when` (all if null) fail with `error`.
  void fail(const std::string& verb, Error error, int times = 1,
            std::function<bool(const Call&)> when = nullptr);
  // Delays each call of `verb` by running `hook` first (e.g. to block until a test says go).
  void setHook(const std::string& verb, std::function<void(const Call&)> hook);
  // Open watch streams: end cleanly / break with `error` / get an ERROR event with a Status
  // of `code` / get a BOOKMARK at `rv` ("" = current) / get any event.
  void endWatches();
  void breakWatches(Error error = Error{"stream broken", 0});
  void sendWatchError(int code, const std::string& reason = "Expired");
  void sendBookmark(const std::string& rv = "");
  void injectEvent(const kube::WatchEvent& event);

  // ---- observation ----
  std::vector<Call> calls() const;
  std::size_t callCount(const std::string& verb) const;
  std::size_t openWatches() const;
  // Blocks (real time, bounded) until at least n watch streams are open / n calls of verb.
  bool waitForOpenWatches(std::size_t n,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool waitForCalls(const std::string& verb, std::size_t n,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  struct Stream;
  struct HistoryEvent {
    std::uint64_t rv;
    std::string collection;
    std::string ns;
    kube::WatchEvent event;
  };
  struct WatchState {
    std::string collection;
    std::string ns;
    std::string labelSelector;
    std::string fieldSelector;
    std::weak_ptr<Stream> stream;
  };

  std::optional<Error> recordAndCheck(Call call);
  nlohmann::json writeLocked(const std::string& collection, nlohmann::json obj, bool isNew);
  void emitLocked(const std::string& collection, const std::string& ns, kube::WatchEvent::Type type,
                  const nlohmann::json& obj);
  template <class F>
  void forEachStreamLocked(F&& f);
  std::string nextRvLocked();

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::uint64_t rv_ = 100;
  std::uint64_t compactedRv_ = 0;
  bool refuseStreamingLists_ = false;
  std::uint64_t uidCounter_ = 0;
  std::map<std::string, std::map<std::string, nlohmann::json>> collections_;
  std::vector<HistoryEvent> history_;
  std::vector<WatchState> watches_;
  struct Injection {
    std::string verb;
    Error error;
    int remaining;
    std::function<bool(const Call&)> when;
  };
  std::vector<Injection> injections_;
  std::map<std::string, std::function<void(const Call&)>> hooks_;
  std::vector<Call> calls_;
};

// Collection refs for tests.
kube::ResourceRef configMapsRef(const std::string& ns = "");
kube::ResourceRef podsRef(const std::string& ns = "");
kube::ResourceRef leasesRef(const std::string& ns);

}  // namespace lg::testing
