#pragma once
// Reflector: keeps a ReflectorSink in step with one API collection by LIST then WATCH.
//
// State machine (one thread, run()):
//   LIST   pages through the collection (limit/continue), hands each object to the sink, then
//          endList(true); the list's resourceVersion becomes the resume point. An expired
//          continue token (410) restarts the list; other errors back off and retry.
//          With streamingList, the list is a WATCH with sendInitialEvents instead: its ADDED
//          events go to listed(), the bookmark annotated k8s.io/initial-events-end ends the
//          list (its resourceVersion is the resume point) and the same stream goes on as the
//          WATCH below. A stream that breaks before that bookmark abandons the list
//          (endList(false)) and backs off; a server that refuses it is listed in pages.
//   WATCH  from the last resourceVersion seen, with timeoutSeconds and bookmarks:
//          ADDED/MODIFIED/DELETED -> sink, resume point = the object's resourceVersion
//          BOOKMARK               -> resume point only
//          clean end              -> watch again at once from the resume point
//          broken / idle (code 0) or other errors -> back off, watch again from the resume point
//          410 Gone (as the watch's HTTP status or an ERROR event with Status code 410)
//                                 -> LIST again; the sink replaces its contents (deletes for
//                                    vanished objects, updates for changed ones). At once,
//                                    unless the 410 came on the first watch after a LIST before
//                                    any event: then after a backoff, so a server that keeps
//                                    answering 410 cannot make us re-list in a tight loop.
// Backoff is exponential (BackoffOptions), reset once a watch delivers an event. Every re-watch
// after the first counts as a restart (leakguard_watch_restarts_total{resource}); every LIST after
// the first as a relist.
//
// Thread safety: start()/stop()/hasSynced()/waitForSync()/counters are thread-safe. The sink
// is called from the reflector's thread only. stop() must not be called from the sink.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "operator/kube/api_client.h"
#include "operator/kube/object_view.h"
#include "operator/runtime/backoff.h"
#include "operator/runtime/reflector_sink.h"
#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::runtime {

class RuntimeMetrics;
class Counter;

struct ReflectorOptions {
  kube::ResourceRef resource;  // a collection; ns "" lists/watches all namespaces
  std::string labelSelector;
  std::string fieldSelector;
  int pageSize = 500;
  int watchTimeoutSeconds = 300;  // the server ends each watch cleanly after this long
  // next() gives up on a silent stream after watchTimeoutSeconds + idleGrace.
  std::chrono::seconds idleGrace{30};
  BackoffOptions backoff{.initial = std::chrono::milliseconds(800),
                         .max = std::chrono::seconds(30),
                         .factor = 2.0,
                         .jitter = 0.2};
  // A watch that ends cleanly sooner than this without any event is treated as a failure
  // (backoff), so a server or proxy that closes at once cannot make us spin.
  std::chrono::milliseconds minWatchDuration{1000};
  // Every list as a streaming list (kube::WatchOptions::sendInitialEvents): one watch whose
  // first events are the objects, parsed as they arrive (no pages, no page-sized buffers), and
  // which goes on as the watch. A server that refuses it (400, 422) is listed in pages from
  // then on.
  bool streamingList = false;
  std::string name;  // the `resource` metrics label and log field; default resource.resource
  RuntimeMetrics* metrics = nullptr;
  // Called once, on the reflector's thread, when the first list has reached the sink.
  std::function<void()> onSynced;
};

class Reflector {
 public:
  Reflector(kube::ApiClient& api, Clock& clock, ReflectorSink& sink, ReflectorOptions opts);
  ~Reflector();  // stop()
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Runs the state machine on an owned thread. Once only.
  void start();
  // Runs the state machine on the calling thread until stop().
  void run();
  // Ends run() promptly: wakes a backoff wait, cancels a blocked watch (a LIST in flight is
  // waited for, bounded by its deadline). Joins the thread if start() made one. Idempotent.
  void stop();

  // True once the first LIST has been delivered to the sink (for /readyz).
  bool hasSynced() const { return synced_.load(); }
  // Blocks until synced or stopped or `timeout` passed on the clock; returns hasSynced().
  bool waitForSync(std::chrono::nanoseconds timeout);

  const std::string& name() const { return opts_.name; }
  const ReflectorOptions& options() const { return opts_; }
  std::string lastResourceVersion() const;
  std::uint64_t watchRestarts() const { return watchRestarts_.load(); }
  std::uint64_t relists() const { return relists_.load(); }
  std::uint64_t watchesStarted() const { return watchesStarted_.load(); }

 private:
  // kRefused: the server refused a streaming list.
  enum class WatchEnd { kClean, kGone, kError, kStopped, kRefused };

  Status listAndReplace();
  // The list is complete: the sink replaces its contents, `rv` becomes the resume point.
  void finishList(std::string rv, std::size_t count);
  // initialEvents: a streaming list, then the watch (streamListed_ says whether it listed).
  WatchEnd watchOnce(bool initialEvents);
  // A stream that broke or could not be read: how the watch ends.
  WatchEnd broken(const Error& e);
  // The watch request; nullptr with *failed set when it was not opened.
  std::unique_ptr<kube::WatchStream> openWatch(bool initialEvents, WatchEnd* failed);
  // A streamed list in progress: active until its end bookmark.
  struct StreamedList {
    bool active = false;
    std::size_t objects = 0;
  };
  // Takes `ev` into the streamed list while it is active (true), completing it at the end
  // bookmark; false: the event is the watch's.
  bool takeListEvent(const kube::ViewEvent& ev, StreamedList& list);
  // Waits `d` on the clock; false if stopped meanwhile.
  bool sleepFor(std::chrono::nanoseconds d);
  bool stopping() const;
  void setResourceVersion(std::string rv);

  kube::ApiClient& api_;
  Clock& clock_;
  ReflectorSink& sink_;
  ReflectorOptions opts_;
  Backoff backoff_;
  std::unique_ptr<kube::ViewParser> parser_;  // the run() thread's
  Counter* restartsMetric_ = nullptr;
  Counter* relistsMetric_ = nullptr;
  Counter* eventsMetric_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  kube::WatchStream* current_ = nullptr;  // the stream run() is reading, for stop()
  std::string lastRV_;
  std::thread thread_;

  bool streamingList_ = false;        // the run() thread's, from opts_
  bool streamListed_ = false;         // the run() thread's
  std::size_t eventsSinceList_ = 0;   // the run() thread's
  std::size_t watchesSinceList_ = 0;  // the run() thread's
  std::atomic<bool> synced_{false};
  std::atomic<std::uint64_t> watchRestarts_{0};
  std::atomic<std::uint64_t> relists_{0};
  std::atomic<std::uint64_t> watchesStarted_{0};
};

}  // namespace lg::runtime
