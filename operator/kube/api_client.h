#pragma once
// The seam between LeakGuard and the Kubernetes API. HttpApiClient (operator/kube) implements it
// over Boost.Beast + OpenSSL against a real API server; tests/fakes/FakeApiClient implements it in
// memory for unit tests of the runtime and reconcilers.
//
// Contract for every call:
// - Blocking, with a deadline: no call waits longer than its timeout (ApiClient-wide default,
//   overridable per call). A watch's next() waits at most its idle timeout.
// - Errors are values: Error::code is the HTTP status (404, 409, 410, 422, 429, 5xx) when the
//   server answered, 0 when it could not be reached or the stream broke. Error::message carries
//   the API server's Status message (reason and field causes) when there is one. Expected
//   outcomes (404, 409, 410, 429) are never thrown.
// - Retries: the implementation retries 429 and 5xx (and connection failures for idempotent
//   verbs) with exponential backoff honouring Retry-After, within the call's deadline.
// - Thread-safe: one ApiClient is shared by every thread of the operator.

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "operator/util/result.h"

namespace lg::kube {

// Names one object or collection: /api/v1/namespaces/shop/pods/checkout-1/eviction
struct ResourceRef {
  std::string group;        // "" for the core group
  std::string version;      // "v1"
  std::string resource;     // plural: "pods", "leakpolicies"
  std::string ns;           // "" for cluster-scoped, or for a list/watch across namespaces
  std::string name;         // "" for a collection
  std::string subresource;  // "status", "eviction", "resize", "scale" or ""

  // The request path, e.g. "/apis/leakguard.io/v1alpha1/namespaces/shop/leakpolicies".
  std::string path() const;
};

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int limit = 500;              // page size; list() returns one page
  std::string continueToken;    // from the previous page
  std::string resourceVersion;  // "" (most recent, quorum read) or "0" (any, from cache)
  std::optional<std::chrono::milliseconds> timeout;
};

struct ListPage {
  nlohmann::json items = nlohmann::json::array();  // the page's objects, as sent
  std::string resourceVersion;                     // of the list: where a watch resumes
  std::string continueToken;                       // "" on the last page
};

struct WatchOptions {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;  // resume point; "" starts at "now"
  int timeoutSeconds = 300;     // asks the server to end the stream cleanly after this long
  bool allowBookmarks = true;
  // A streaming list (sendInitialEvents=true, resourceVersionMatch=NotOlderThan): the stream
  // starts with an ADDED event per object as of resourceVersion ("": a consistent read), then
  // a BOOKMARK annotated kInitialEventsEnd, then changes. Servers without the WatchList
  // feature (Kubernetes 1.33 by default, before 1.32) refuse it with 422 or 400.
  bool sendInitialEvents = false;
  // next() fails with code 0 if no byte arrives for this long (server timeout + grace).
  std::chrono::seconds idleTimeout{330};
};

// The annotation, set to "true", of the bookmark that ends a streaming list's initial events.
inline constexpr std::string_view kInitialEventsEnd = "k8s.io/initial-events-end";

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  // The object (for kError: the Status, e.g. code 410 when the resourceVersion is too old).
  nlohmann::json object;
};

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", as the API server spells them.
std::string_view toString(WatchEvent::Type type);
std::optional<WatchEvent::Type> parseWatchEventType(std::string_view name);

class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Blocks until the next event. std::nullopt: the server ended the stream cleanly (its
  // timeoutSeconds passed); the caller re-watches from the last resourceVersion it saw.
  // An Error: the stream broke or went idle past idleTimeout (code 0), or the server refused
  // the watch (code 410 etc.). An ERROR event with a Status inside is returned as an event.
  virtual Result<std::optional<WatchEvent>> next() = 0;
  // The same, as the event's JSON text, unparsed ({"type":...,"object":...}): what a cache
  // parses itself (ViewParser). Valid until the next call. By default next(), serialised.
  virtual Result<std::optional<std::string_view>> nextLine();
  // Thread-safe; makes a blocked next() return promptly (with an Error, code 0).
  virtual void cancel() = 0;

 private:
  std::string line_;  // the default nextLine's
};

enum class PatchType {
  kMerge,           // application/merge-patch+json
  kJson,            // application/json-patch+json
  kStrategicMerge,  // application/strategic-merge-patch+json (built-in kinds only)
  kApply,           // application/apply-patch+yaml: server-side apply (needs fieldManager)
};

struct WriteOptions {
  std::string fieldManager = "leakguard";
  bool force = false;   // server-side apply: take ownership of conflicting fields
  bool dryRun = false;  // dryRun=All
  std::optional<std::chrono::milliseconds> timeout;
};

struct DeleteOptions {
  std::optional<int64_t> gracePeriodSeconds;
  std::string propagationPolicy;  // "", "Foreground", "Background", "Orphan"
  std::string preconditionResourceVersion;
  // Only this object (its uid): a same-named replacement answers 409 Conflict.
  std::string preconditionUid;
  std::optional<std::chrono::milliseconds> timeout;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  virtual Result<nlohmann::json> get(const ResourceRef& ref) = 0;
  // One page of a list; the caller follows continueToken.
  virtual Result<ListPage> list(const ResourceRef& ref, const ListOptions& opts) = 0;
  // The same page as the response's JSON text, unparsed (a list document: metadata, items),
  // for a cache that parses it itself (ViewParser). By default list(), serialised.
  virtual Result<std::string> listText(const ResourceRef& ref, const ListOptions& opts);
  virtual Result<std::unique_ptr<WatchStream>> watch(const ResourceRef& ref,
                                                     const WatchOptions& opts) = 0;
  // POST to the collection (or to a subresource such as pods/<name>/eviction).
  virtual Result<nlohmann::json> create(const ResourceRef& ref, const nlohmann::json& body,
                                        const WriteOptions& opts = {}) = 0;
  // PUT (optimistic concurrency through metadata.resourceVersion; 409 on conflict).
  virtual Result<nlohmann::json> replace(const ResourceRef& ref, const nlohmann::json& body,
                                         const WriteOptions& opts = {}) = 0;
  virtual Result<nlohmann::json> patch(const ResourceRef& ref, PatchType type,
                                       const nlohmann::json& body,
                                       const WriteOptions& opts = {}) = 0;
  virtual Status remove(const ResourceRef& ref, const DeleteOptions& opts = {}) = 0;
};

}  // namespace lg::kube
