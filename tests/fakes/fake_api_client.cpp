#include "tests/fakes/fake_api_client.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace lg::testing {

using nlohmann::json;

namespace {

std::string collectionKey(const kube::ResourceRef& ref) {
  return ref.group + "/" + ref.version + "/" + ref.resource;
}

std::string objectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

std::string metaString(const json& obj, const char* field) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return {};
  const auto& m = obj["metadata"];
  auto it = m.find(field);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool matchesLabels(const json& obj, const std::string& selector) {
  if (selector.empty()) return true;
  json labels = json::object();
  if (obj.contains("metadata") && obj["metadata"].contains("labels"))
    labels = obj["metadata"]["labels"];
  for (const std::string& term : split(selector, ',')) {
    if (term.empty()) continue;
    auto value = [&](const std::string& k) -> std::optional<std::string> {
      auto it = labels.find(k);
      if (it == labels.end() || !it->is_string()) return std::nullopt;
      return it->get<std::string>();
    };
    if (auto p = term.find("!="); p != std::string::npos) {
      if (value(term.substr(0, p)) == term.substr(p + 2)) return false;
    } else if (auto q = term.find("=="); q != std::string::npos) {
      if (value(term.substr(0, q)) != term.substr(q + 2)) return false;
    } else if (auto e = term.find('='); e != std::string::npos) {
      if (value(term.substr(0, e)) != term.substr(e + 1)) return false;
    } else if (term[0] == '!') {
      if (value(term.substr(1))) return false;
    } else if (!value(term)) {
      return false;
    }
  }
  return true;
}

bool matchesFields(const json& obj, const std::string& selector) {
  if (selector.empty()) return true;
  for (const std::string& term : split(selector, ',')) {
    if (term.empty()) continue;
    const auto e = term.find('=');
    if (e == std::string::npos) return false;
    const std::string path = "/" + term.substr(0, e);
    std::string want = term.substr(e + 1);
    if (!want.empty() && want[0] == '=') want = want.substr(1);
    std::string pointer = path;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    const json::json_pointer ptr(pointer);
    const std::string got =
        obj.contains(ptr) && obj[ptr].is_string() ? obj[ptr].get<std::string>() : std::string();
    if (got != want) return false;
  }
  return true;
}

FakeApiClient::Call call(const char* verb, const kube::ResourceRef& ref, json body = nullptr) {
  FakeApiClient::Call c;
  c.verb = verb;
  c.path = ref.path();
  c.ref = ref;
  c.body = std::move(body);
  return c;
}

}  // namespace

// One watch stream's queue. Items: an event, a clean end (monostate) or an error.
struct FakeApiClient::Stream {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::variant<std::monostate, kube::WatchEvent, Error>> items;
  bool cancelled = false;
  bool finished = false;  // an end or error was queued: no further events

  void push(std::variant<std::monostate, kube::WatchEvent, Error> item) {
    {
      std::lock_guard g(mu);
      if (finished) return;
      if (!std::holds_alternative<kube::WatchEvent>(item)) finished = true;
      items.push_back(std::move(item));
    }
    cv.notify_all();
  }
  bool open() {
    std::lock_guard g(mu);
    return !finished && !cancelled;
  }
};

namespace {

class FakeWatchStream final : public kube::WatchStream {
 public:
  explicit FakeWatchStream(std::shared_ptr<void> keep,
                           std::function<Result<std::optional<kube::WatchEvent>>()> next,
                           std::function<void()> cancel)
      : keep_(std::move(keep)), next_(std::move(next)), cancel_(std::move(cancel)) {}
  Result<std::optional<kube::WatchEvent>> next() override { return next_(); }
  void cancel() override { cancel_(); }

 private:
  std::shared_ptr<void> keep_;
  std::function<Result<std::optional<kube::WatchEvent>>()> next_;
  std::function<void()> cancel_;
};

}  // namespace

FakeApiClient::FakeApiClient() = default;
FakeApiClient::~FakeApiClient() = default;

std::string FakeApiClient::nextRvLocked() {
  return std::to_string(++rv_);
}

std::optional<Error> FakeApiClient::recordAndCheck(Call call) {
  std::optional<Error> err;
  std::function<void(const Call&)> hook;
  {
    std::lock_guard g(mu_);
    calls_.push_back(call);
    for (auto it = injections_.begin(); it != injections_.end(); ++it) {
      if (it->verb != call.verb || (it->when && !it->when(call))) continue;
      err = it->error;
      if (--it->remaining <= 0) injections_.erase(it);
      break;
    }
    if (auto h = hooks_.find(call.verb); h != hooks_.end()) hook = h->second;
  }
  changed_.notify_all();
  if (hook) hook(call);
  return err;
}

template <class F>
void FakeApiClient::forEachStreamLocked(F&& f) {
  for (auto& w : watches_)
    if (auto s = w.stream.lock()) f(w, *s);
}

void FakeApiClient::emitLocked(const std::string& collection, const std::string& ns,
                               kube::WatchEvent::Type type, const json& obj) {
  const kube::WatchEvent ev{type, obj};
  history_.push_back(HistoryEvent{rv_, collection, ns, ev});
  forEachStreamLocked([&](const WatchState& w, Stream& s) {
    if (w.collection != collection || (!w.ns.empty() && w.ns != ns)) return;
    if (!matchesLabels(obj, w.labelSelector) || !matchesFields(obj, w.fieldSelector)) return;
    s.push(ev);
  });
}

json FakeApiClient::writeLocked(const std::string& collection, json obj, bool isNew) {
  auto& meta = obj["metadata"];
  meta["resourceVersion"] = nextRvLocked();
  if (isNew) {
    if (!meta.contains("uid")) {
      char uid[40];
      std::snprintf(uid, sizeof uid, "00000000-0000-4000-8000-%012llx",
                    static_cast<unsigned long long>(++uidCounter_));
      meta["uid"] = uid;
    }
    if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = "2026-01-01T00:00:00Z";
    meta["generation"] = 1;
  }
  const std::string ns = metaString(obj, "namespace");
  const std::string key = objectKey(ns, metaString(obj, "name"));
  collections_[collection][key] = obj;
  emitLocked(collection, ns,
             isNew ? kube::WatchEvent::Type::kAdded : kube::WatchEvent::Type::kModified, obj);
  return obj;
}

Result<json> FakeApiClient::get(const kube::ResourceRef& ref) {
  if (auto e = recordAndCheck(call("get", ref))) return *e;
  std::lock_guard g(mu_);
  auto& c = collections_[collectionKey(ref)];
  auto it = c.find(objectKey(ref.ns, ref.name));
  if (it == c.end()) return makeError(ref.resource + " \"" + ref.name + "\" not found", 404);
  return it->second;
}

Result<kube::ListPage> FakeApiClient::list(const kube::ResourceRef& ref,
                                           const kube::ListOptions& opts) {
  Call rec = call("list", ref);
  rec.resourceVersion = opts.resourceVersion;
  rec.continueToken = opts.continueToken;
  rec.limit = opts.limit;
  rec.labelSelector = opts.labelSelector;
  if (auto e = recordAndCheck(std::move(rec))) return *e;
  std::lock_guard g(mu_);
  std::string listRv = std::to_string(rv_);
  std::string after;
  if (!opts.continueToken.empty()) {
    const auto bar = opts.continueToken.find('|');
    if (bar == std::string::npos) return makeError("invalid continue token", 400);
    listRv = opts.continueToken.substr(0, bar);
    after = opts.continueToken.substr(bar + 1);
  }
  kube::ListPage page;
  page.resourceVersion = listRv;
  const auto& c = collections_[collectionKey(ref)];
  auto it = after.empty() ? c.begin() : c.upper_bound(after);
  for (; it != c.end(); ++it) {
    const json& obj = it->second;
    if (!ref.ns.empty() && metaString(obj, "namespace") != ref.ns) continue;
    if (!matchesLabels(obj, opts.labelSelector) || !matchesFields(obj, opts.fieldSelector))
      continue;
    if (opts.limit > 0 && static_cast<int>(page.items.size()) >= opts.limit) {
      // More remain: the token resumes after the last key returned.
      page.continueToken = listRv + "|" + std::prev(it)->first;
      break;
    }
    page.items.push_back(obj);
  }
  return page;
}

Result<std::unique_ptr<kube::WatchStream>> FakeApiClient::watch(const kube::ResourceRef& ref,
                                                                const kube::WatchOptions& opts) {
  Call rec = call("watch", ref);
  rec.resourceVersion = opts.resourceVersion;
  rec.labelSelector = opts.labelSelector;
  rec.timeoutSeconds = opts.timeoutSeconds;
  rec.allowBookmarks = opts.allowBookmarks;
  rec.sendInitialEvents = opts.sendInitialEvents;
  if (auto e = recordAndCheck(std::move(rec))) return *e;
  auto stream = std::make_shared<Stream>();
  {
    std::lock_guard g(mu_);
    const std::string collection = collectionKey(ref);
    if (opts.sendInitialEvents) {
      if (refuseStreamingLists_) {
        return makeError(
            "sendInitialEvents is forbidden for watch unless the WatchList feature "
            "gate is enabled",
            422);
      }
      // The state now (the fake ignores resourceVersion here), then the bookmark that ends it.
      for (const auto& [key, obj] : collections_[collection]) {
        if (!ref.ns.empty() && metaString(obj, "namespace") != ref.ns) continue;
        if (!matchesLabels(obj, opts.labelSelector) || !matchesFields(obj, opts.fieldSelector))
          continue;
        stream->push(kube::WatchEvent{kube::WatchEvent::Type::kAdded, obj});
      }
      stream->push(kube::WatchEvent{
          kube::WatchEvent::Type::kBookmark,
          json{{"metadata",
                {{"resourceVersion", std::to_string(rv_)},
                 {"annotations", {{std::string(kube::kInitialEventsEnd), "true"}}}}}}});
    } else if (!opts.resourceVersion.empty()) {
      std::uint64_t from = 0;
      try {
        from = std::stoull(opts.resourceVersion);
      } catch (...) {
        return makeError("invalid resourceVersion " + opts.resourceVersion, 400);
      }
      if (from < compactedRv_)
        return makeError("too old resource version: " + opts.resourceVersion, 410);
      for (const auto& h : history_) {
        if (h.rv <= from || h.collection != collection) continue;
        if (!ref.ns.empty() && h.ns != ref.ns) continue;
        if (!matchesLabels(h.event.object, opts.labelSelector) ||
            !matchesFields(h.event.object, opts.fieldSelector))
          continue;
        stream->push(h.event);
      }
    }
    watches_.push_back(
        WatchState{collection, ref.ns, opts.labelSelector, opts.fieldSelector, stream});
  }
  changed_.notify_all();
  auto next = [s = stream.get()]() -> Result<std::optional<kube::WatchEvent>> {
    std::unique_lock lock(s->mu);
    s->cv.wait(lock, [&] { return s->cancelled || !s->items.empty(); });
    if (s->cancelled) return makeError("watch cancelled", 0);
    auto item = std::move(s->items.front());
    s->items.pop_front();
    if (std::holds_alternative<Error>(item)) return std::get<Error>(item);
    if (std::holds_alternative<std::monostate>(item))
      return std::optional<kube::WatchEvent>(std::nullopt);
    return std::optional<kube::WatchEvent>(std::get<kube::WatchEvent>(std::move(item)));
  };
  auto cancel = [s = stream.get()] {
    {
      std::lock_guard g(s->mu);
      s->cancelled = true;
    }
    s->cv.notify_all();
  };
  return std::unique_ptr<kube::WatchStream>(
      std::make_unique<FakeWatchStream>(stream, std::move(next), std::move(cancel)));
}

Result<json> FakeApiClient::create(const kube::ResourceRef& ref, const json& body,
                                   const kube::WriteOptions&) {
  if (auto e = recordAndCheck(call("create", ref, body))) return *e;
  std::lock_guard g(mu_);
  json obj = body;
  if (!ref.ns.empty()) obj["metadata"]["namespace"] = ref.ns;
  std::string name = metaString(obj, "name");
  // As the API server: generateName plus a suffix of its own (here a counter, in base 36).
  if (name.empty() && !metaString(obj, "generateName").empty()) {
    std::uint64_t n = ++uidCounter_;
    std::string suffix;
    for (int i = 0; i < 5; ++i, n /= 36)
      suffix += "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
    name = metaString(obj, "generateName") + suffix;
    obj["metadata"]["name"] = name;
  }
  if (name.empty()) return makeError("metadata.name required", 422);
  const std::string collection = collectionKey(ref);
  if (collections_[collection].contains(objectKey(ref.ns, name)))
    return makeError(ref.resource + " \"" + name + "\" already exists", 409);
  obj["metadata"].erase("resourceVersion");
  return writeLocked(collection, std::move(obj), true);
}

Result<json> FakeApiClient::replace(const kube::ResourceRef& ref, const json& body,
                                    const kube::WriteOptions&) {
  if (auto e = recordAndCheck(call("replace", ref, body))) return *e;
  std::lock_guard g(mu_);
  const std::string collection = collectionKey(ref);
  auto& c = collections_[collection];
  auto it = c.find(objectKey(ref.ns, ref.name));
  if (it == c.end()) return makeError(ref.resource + " \"" + ref.name + "\" not found", 404);
  const std::string want = metaString(body, "resourceVersion");
  if (!want.empty() && want != metaString(it->second, "resourceVersion"))
    return makeError(
        "the object has been modified; please apply your changes to the latest "
        "version and try again",
        409);
  json obj = body;
  obj["metadata"]["uid"] = it->second["metadata"]["uid"];
  obj["metadata"]["creationTimestamp"] = it->second["metadata"]["creationTimestamp"];
  return writeLocked(collection, std::move(obj), false);
}

Result<json> FakeApiClient::patch(const kube::ResourceRef& ref, kube::PatchType type,
                                  const json& body, const kube::WriteOptions&) {
  if (auto e = recordAndCheck(call("patch", ref, body))) return *e;
  std::lock_guard g(mu_);
  const std::string collection = collectionKey(ref);
  auto& c = collections_[collection];
  auto it = c.find(objectKey(ref.ns, ref.name));
  if (it == c.end()) return makeError(ref.resource + " \"" + ref.name + "\" not found", 404);
  json obj = it->second;
  // As the API server: a resourceVersion in a merge patch is a precondition.
  if (type != kube::PatchType::kJson && body.is_object() && body.contains("metadata") &&
      body["metadata"].is_object() && body["metadata"].contains("resourceVersion")) {
    const std::string want = metaString(body, "resourceVersion");
    if (!want.empty() && want != metaString(obj, "resourceVersion"))
      return makeError("Operation cannot be fulfilled on " + ref.resource + " \"" + ref.name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again",
                       409);
  }
  try {
    if (type == kube::PatchType::kJson) {
      obj = obj.patch(body);
    } else {
      obj.merge_patch(body);
    }
  } catch (const std::exception& e) {
    return makeError(std::string("invalid patch: ") + e.what(), 422);
  }
  return writeLocked(collection, std::move(obj), false);
}

Status FakeApiClient::remove(const kube::ResourceRef& ref, const kube::DeleteOptions&) {
  if (auto e = recordAndCheck(call("delete", ref))) return *e;
  std::lock_guard g(mu_);
  const std::string collection = collectionKey(ref);
  auto& c = collections_[collection];
  auto it = c.find(objectKey(ref.ns, ref.name));
  if (it == c.end()) return makeError(ref.resource + " \"" + ref.name + "\" not found", 404);
  json obj = std::move(it->second);
  c.erase(it);
  obj["metadata"]["resourceVersion"] = nextRvLocked();
  emitLocked(collection, ref.ns, kube::WatchEvent::Type::kDeleted, obj);
  return okStatus();
}

json FakeApiClient::put(const kube::ResourceRef& collectionRef, json object) {
  std::lock_guard g(mu_);
  const std::string collection = collectionKey(collectionRef);
  const std::string ns = metaString(object, "namespace");
  const std::string key = objectKey(ns, metaString(object, "name"));
  auto& c = collections_[collection];
  auto it = c.find(key);
  const bool isNew = it == c.end();
  if (!isNew) {
    object["metadata"]["uid"] = it->second["metadata"]["uid"];
    object["metadata"]["creationTimestamp"] = it->second["metadata"]["creationTimestamp"];
  }
  return writeLocked(collection, std::move(object), isNew);
}

bool FakeApiClient::erase(const kube::ResourceRef& collectionRef, const std::string& ns,
                          const std::string& name) {
  std::lock_guard g(mu_);
  const std::string collection = collectionKey(collectionRef);
  auto& c = collections_[collection];
  auto it = c.find(objectKey(ns, name));
  if (it == c.end()) return false;
  json obj = std::move(it->second);
  c.erase(it);
  obj["metadata"]["resourceVersion"] = nextRvLocked();
  emitLocked(collection, ns, kube::WatchEvent::Type::kDeleted, obj);
  return true;
}

std::optional<json> FakeApiClient::object(const kube::ResourceRef& collectionRef,
                                          const std::string& ns, const std::string& name) const {
  std::lock_guard g(mu_);
  auto c = collections_.find(collectionKey(collectionRef));
  if (c == collections_.end()) return std::nullopt;
  auto it = c->second.find(objectKey(ns, name));
  if (it == c->second.end()) return std::nullopt;
  return it->second;
}

std::size_t FakeApiClient::count(const kube::ResourceRef& collectionRef) const {
  std::lock_guard g(mu_);
  auto c = collections_.find(collectionKey(collectionRef));
  return c == collections_.end() ? 0 : c->second.size();
}

std::string FakeApiClient::currentResourceVersion() const {
  std::lock_guard g(mu_);
  return std::to_string(rv_);
}

void FakeApiClient::compact() {
  std::lock_guard g(mu_);
  compactedRv_ = rv_;
  history_.clear();
}

void FakeApiClient::fail(const std::string& verb, Error error, int times,
                         std::function<bool(const Call&)> when) {
  std::lock_guard g(mu_);
  injections_.push_back(Injection{verb, std::move(error), times, std::move(when)});
}

void FakeApiClient::setHook(const std::string& verb, std::function<void(const Call&)> hook) {
  std::lock_guard g(mu_);
  hooks_[verb] = std::move(hook);
}

void FakeApiClient::endWatches() {
  std::lock_guard g(mu_);
  forEachStreamLocked([](const WatchState&, Stream& s) { s.push(std::monostate{}); });
}

void FakeApiClient::breakWatches(Error error) {
  std::lock_guard g(mu_);
  forEachStreamLocked([&](const WatchState&, Stream& s) { s.push(error); });
}

void FakeApiClient::sendWatchError(int code, const std::string& reason) {
  const json status = {{"kind", "Status"},    {"apiVersion", "v1"},
                       {"status", "Failure"}, {"message", "too old resource version"},
                       {"reason", reason},    {"code", code}};
  injectEvent(kube::WatchEvent{kube::WatchEvent::Type::kError, status});
}

void FakeApiClient::sendBookmark(const std::string& rv) {
  std::string at = rv.empty() ? currentResourceVersion() : rv;
  injectEvent(kube::WatchEvent{kube::WatchEvent::Type::kBookmark,
                               {{"kind", "Bookmark"}, {"metadata", {{"resourceVersion", at}}}}});
}

void FakeApiClient::injectEvent(const kube::WatchEvent& event) {
  std::lock_guard g(mu_);
  forEachStreamLocked([&](const WatchState&, Stream& s) { s.push(event); });
}

std::vector<FakeApiClient::Call> FakeApiClient::calls() const {
  std::lock_guard g(mu_);
  return calls_;
}

std::size_t FakeApiClient::callCount(const std::string& verb) const {
  std::lock_guard g(mu_);
  return static_cast<std::size_t>(
      std::count_if(calls_.begin(), calls_.end(), [&](const Call& c) { return c.verb == verb; }));
}

std::size_t FakeApiClient::openWatches() const {
  std::lock_guard g(mu_);
  std::size_t n = 0;
  for (const auto& w : watches_)
    if (auto s = w.stream.lock(); s && s->open()) ++n;
  return n;
}

bool FakeApiClient::waitForOpenWatches(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock g(mu_);
  return changed_.wait_for(g, timeout, [&] {
    std::size_t open = 0;
    for (const auto& w : watches_)
      if (auto s = w.stream.lock(); s && s->open()) ++open;
    return open >= n;
  });
}

bool FakeApiClient::waitForCalls(const std::string& verb, std::size_t n,
                                 std::chrono::milliseconds timeout) const {
  std::unique_lock g(mu_);
  return changed_.wait_for(g, timeout, [&] {
    return static_cast<std::size_t>(std::count_if(
               calls_.begin(), calls_.end(), [&](const Call& c) { return c.verb == verb; })) >= n;
  });
}

namespace {
kube::ResourceRef collection(const char* group, const char* resource, const std::string& ns) {
  kube::ResourceRef r;
  r.group = group;
  r.version = "v1";
  r.resource = resource;
  r.ns = ns;
  return r;
}
}  // namespace

kube::ResourceRef configMapsRef(const std::string& ns) {
  return collection("", "configmaps", ns);
}

kube::ResourceRef podsRef(const std::string& ns) {
  return collection("", "pods", ns);
}

kube::ResourceRef leasesRef(const std::string& ns) {
  return collection("coordination.k8s.io", "leases", ns);
}

}  // namespace lg::testing
