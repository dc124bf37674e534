#include "operator/runtime/reflector.h"

#include <utility>

#include "operator/runtime/runtime_metrics.h"
#include "operator/util/allocator.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace {

// A list at least this long is followed by a malloc_trim.
constexpr std::size_t kTrimAfterObjects = 1000;

// The HTTP status inside an ERROR event's Status object (0 if absent).
int statusCode(const nlohmann::json& status) {
  if (!status.is_object()) return 0;
  auto it = status.find("code");
  return it != status.end() && it->is_number_integer() ? it->get<int>() : 0;
}

constexpr int kMaxContinueRestarts = 3;

}  // namespace

Reflector::Reflector(kube::ApiClient& api, Clock& clock, ReflectorSink& sink, ReflectorOptions opts)
    : api_(api),
      clock_(clock),
      sink_(sink),
      opts_(std::move(opts)),
      backoff_(opts_.backoff),
      parser_(std::make_unique<kube::ViewParser>()) {
  streamingList_ = opts_.streamingList;
  if (opts_.name.empty()) opts_.name = opts_.resource.resource;
  if (opts_.metrics) {
    restartsMetric_ = &opts_.metrics->watchRestarts.labels({opts_.name});
    relistsMetric_ = &opts_.metrics->watchRelists.labels({opts_.name});
    eventsMetric_ = &opts_.metrics->watchEvents.labels({opts_.name});
  }
}

Reflector::~Reflector() {
  stop();
}

void Reflector::start() {
  std::lock_guard g(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void Reflector::stop() {
  {
    std::lock_guard g(mu_);
    stopping_ = true;
    if (current_) current_->cancel();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool Reflector::stopping() const {
  std::lock_guard g(mu_);
  return stopping_;
}

bool Reflector::sleepFor(std::chrono::nanoseconds d) {
  std::unique_lock lock(mu_);
  clock_.waitFor(lock, cv_, d, [&] { return stopping_; });
  return !stopping_;
}

bool Reflector::waitForSync(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  clock_.waitFor(lock, cv_, timeout, [&] { return stopping_ || synced_.load(); });
  return synced_.load();
}

std::string Reflector::lastResourceVersion() const {
  std::lock_guard g(mu_);
  return lastRV_;
}

void Reflector::setResourceVersion(std::string rv) {
  if (rv.empty()) return;
  std::lock_guard g(mu_);
  lastRV_ = std::move(rv);
}

void Reflector::run() {
  bool needList = true;
  bool firstList = true;
  bool firstWatch = true;
  while (!stopping()) {
    bool streamed = false;  // this watch lists (WatchOptions::sendInitialEvents)
    if (needList) {
      if (!firstList) {
        relists_.fetch_add(1);
        if (relistsMetric_) relistsMetric_->inc();
      }
      firstList = false;
      if (streamingList_) {
        streamed = true;
      } else {
        const Status s = listAndReplace();
        if (!s.ok()) {
          if (stopping()) break;
          const auto delay = backoff_.next();
          LG_LOG(warn, "list failed, retrying",
                 {{"resource", opts_.name},
                  {"code", s.error().code},
                  {"error", s.error().message},
                  {"retryInMs",
                   std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()}});
          if (!sleepFor(delay)) break;
          continue;
        }
        // The backoff is reset by watch events, not by the list: a server that answers every
        // list and then refuses every watch must still see us slow down.
        needList = false;
      }
    }
    if (!firstWatch) {
      watchRestarts_.fetch_add(1);
      if (restartsMetric_) restartsMetric_->inc();
    }
    firstWatch = false;
    const WatchEnd end = watchOnce(streamed);
    if (streamed && streamListed_) needList = false;
    switch (end) {
      case WatchEnd::kStopped:
        return;
      case WatchEnd::kRefused:
        // Not a failure: this server lists in pages only. The paged list and its watch that
        // follow are not counted again (a relist and a restart counted at most once, as above).
        streamingList_ = false;
        firstList = true;
        firstWatch = true;
        LG_LOG(info, "the API server refused a streaming list; listing in pages",
               {{"resource", opts_.name}});
        break;
      case WatchEnd::kClean:
        break;
      case WatchEnd::kGone:
        needList = true;
        if (watchesSinceList_ == 1 && eventsSinceList_ == 0 && !sleepFor(backoff_.next())) return;
        break;
      case WatchEnd::kError:
        if (!sleepFor(backoff_.next())) return;
        break;
    }
  }
}

Status Reflector::listAndReplace() {
  kube::ListOptions lo;
  lo.labelSelector = opts_.labelSelector;
  lo.fieldSelector = opts_.fieldSelector;
  lo.limit = opts_.pageSize;
  std::string listRV;
  std::size_t count = 0;
  int continueRestarts = 0;
  sink_.beginList();
  while (true) {
    if (stopping()) {
      sink_.endList(false);
      return makeError("stopped");
    }
    auto body = api_.listText(opts_.resource, lo);
    if (!body.ok()) {
      if (body.error().code == 410 && !lo.continueToken.empty() &&
          continueRestarts++ < kMaxContinueRestarts) {
        // The continue token expired between pages: start over with a fresh snapshot.
        LG_LOG(info, "list continue token expired, listing again", {{"resource", opts_.name}});
        sink_.endList(false);
        sink_.beginList();
        lo.continueToken.clear();
        count = 0;
        continue;
      }
      sink_.endList(false);
      return body.error();
    }
    auto page =
        parser_->parseList(*body, [this](const kube::ObjectView& item) { sink_.listed(item); });
    if (!page.ok()) {
      sink_.endList(false);
      return makeError("list " + opts_.resource.path() + ": " + page.error().message);
    }
    count += page->items;
    if (!page->resourceVersion.empty()) listRV = page->resourceVersion;
    if (page->continueToken.empty()) break;
    lo.continueToken = page->continueToken;
  }
  finishList(listRV, count);
  return okStatus();
}

void Reflector::finishList(std::string rv, std::size_t count) {
  sink_.endList(true);
  // The parser's buffers fit a page; the watch's events are a thousandth of that.
  parser_->release();
  // What the list allocated is freed now; without a trim the allocator keeps its peak for the
  // life of the process (BENCHMARKS.md, "At scale").
  if (count >= kTrimAfterObjects) releaseFreeMemory();
  eventsSinceList_ = 0;
  watchesSinceList_ = 0;
  LG_LOG(debug, "listed", {{"resource", opts_.name}, {"count", count}, {"rv", rv}});
  bool first;
  {
    std::lock_guard g(mu_);
    lastRV_ = std::move(rv);
    first = !synced_.exchange(true);
  }
  if (first) {
    cv_.notify_all();
    if (opts_.onSynced) opts_.onSynced();
  }
}

std::unique_ptr<kube::WatchStream> Reflector::openWatch(bool initialEvents, WatchEnd* failed) {
  kube::WatchOptions wo;
  wo.labelSelector = opts_.labelSelector;
  wo.fieldSelector = opts_.fieldSelector;
  // A streaming list asks for a consistent read: "" with NotOlderThan.
  wo.resourceVersion = initialEvents ? std::string() : lastResourceVersion();
  wo.sendInitialEvents = initialEvents;
  wo.timeoutSeconds = opts_.watchTimeoutSeconds;
  wo.allowBookmarks = true;
  wo.idleTimeout = std::chrono::seconds(opts_.watchTimeoutSeconds) + opts_.idleGrace;
  ++watchesSinceList_;
  auto opened = api_.watch(opts_.resource, wo);
  if (!opened.ok()) {
    const Error& e = opened.error();
    if (stopping()) {
      *failed = WatchEnd::kStopped;
    } else if (initialEvents && (e.code == 400 || e.code == 422)) {
      *failed = WatchEnd::kRefused;
    } else {
      *failed = e.code == 410 ? WatchEnd::kGone : WatchEnd::kError;
    }
    LG_LOG(warn, "watch failed",
           {{"resource", opts_.name},
            {"code", e.code},
            {"error", e.message},
            {"rv", wo.resourceVersion}});
    return nullptr;
  }
  watchesStarted_.fetch_add(1);
  return std::move(opened).value();
}

bool Reflector::takeListEvent(const kube::ViewEvent& ev, StreamedList& list) {
  if (!list.active) return false;
  using Type = kube::WatchEvent::Type;
  switch (ev.type) {
    case Type::kAdded:
    case Type::kModified:
      sink_.listed(ev.object);
      ++list.objects;
      return true;
    case Type::kDeleted:
      return true;
    case Type::kBookmark: {
      if (ev.object.annotation(kube::kInitialEventsEnd) != "true") return true;
      list.active = false;
      streamListed_ = true;
      // finishList releases the parser's buffers: the view is not read after this line.
      std::string listRV = ev.object.resourceVersion();
      finishList(std::move(listRV), list.objects);
      watchesSinceList_ = 1;
      return true;
    }
    case Type::kError:
      return false;  // the watch's to handle; the list is abandoned on the way out
  }
  return false;
}

Reflector::WatchEnd Reflector::broken(const Error& e) {
  if (stopping()) return WatchEnd::kStopped;
  LG_LOG(info, "watch stream broke, resuming",
         {{"resource", opts_.name},
          {"code", e.code},
          {"error", e.message},
          {"rv", lastResourceVersion()}});
  return e.code == 410 ? WatchEnd::kGone : WatchEnd::kError;
}

Reflector::WatchEnd Reflector::watchOnce(bool initialEvents) {
  streamListed_ = false;
  const auto started = clock_.steadyNow();
  WatchEnd failed = WatchEnd::kError;
  std::unique_ptr<kube::WatchStream> stream = openWatch(initialEvents, &failed);
  if (!stream) return failed;
  {
    std::lock_guard g(mu_);
    if (stopping_) return WatchEnd::kStopped;
    current_ = stream.get();
  }
  struct Detach {
    Reflector* r;
    ~Detach() {
      std::lock_guard g(r->mu_);
      r->current_ = nullptr;
    }
  } detach{this};

  // A streamed list's events are the list (takeListEvent). They are not watch events and do not
  // reset the backoff: a stream cut before its end bookmark must not list again at once.
  StreamedList list{.active = initialEvents};
  if (list.active) sink_.beginList();
  struct AbandonList {
    Reflector* r;
    const StreamedList* list;
    ~AbandonList() {
      if (list->active) r->sink_.endList(false);
    }
  } abandon{this, &list};

  std::size_t events = 0;
  while (true) {
    auto next = stream->nextLine();
    if (!next.ok()) return broken(next.error());
    if (!next->has_value()) {
      if (stopping()) return WatchEnd::kStopped;
      if (list.active || (events == 0 && clock_.steadyNow() - started < opts_.minWatchDuration)) {
        LG_LOG(warn, "watch ended at once, or before its initial events did",
               {{"resource", opts_.name}});
        return WatchEnd::kError;
      }
      LG_LOG(debug, "watch ended, resuming",
             {{"resource", opts_.name}, {"rv", lastResourceVersion()}});
      return WatchEnd::kClean;
    }
    auto event = parser_->parseEvent(**next);
    if (!event.ok()) return broken(event.error());
    const kube::ViewEvent& ev = *event;
    if (takeListEvent(ev, list)) continue;
    using Type = kube::WatchEvent::Type;
    switch (ev.type) {
      case Type::kBookmark:
        setResourceVersion(ev.object.resourceVersion());
        break;
      case Type::kError: {
        const nlohmann::json status = ev.object.toJson();
        const int code = statusCode(status);
        const std::string msg = status.value("message", "");
        LG_LOG(info, "watch error event",
               {{"resource", opts_.name}, {"code", code}, {"error", msg}});
        return code == 410 ? WatchEnd::kGone : WatchEnd::kError;
      }
      case Type::kAdded:
      case Type::kModified:
      case Type::kDeleted:
        sink_.watched(ev.type, ev.object);
        if (eventsMetric_) eventsMetric_->inc();  // before the resume point moves: tests wait on it
        setResourceVersion(ev.object.resourceVersion());
        break;
    }
    ++eventsSinceList_;
    if (events++ == 0) backoff_.reset();
  }
}

}  // namespace lg::runtime
