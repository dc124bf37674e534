#pragma once
// Manager: wires the runtime together and runs it; main() only registers things and calls
// run().
//
//   SignalHandler signals;  // first, before any thread
//   Manager mgr(api, SystemClock::instance(),
//               {.health = {.bindAddress = ":8080"},
//                .leaderElection = LeaderElectorOptions{.ns = "leakguard-system"},
//                .signals = &signals});
//   auto& pods = mgr.addInformer<PodProjection>(
//       podsOptions, [](const kube::ObjectView& v) { return projectPod(v); });
//   pods.addIndex("namespace", podNamespaceIndex);
//   auto& ctl = mgr.addController(reconciler, {.name = "leakpolicy", .workers = 4});
//   pods.addEventHandler(enqueueMapped<PodProjection>(ctl.queue(), policiesSelecting));
//   return mgr.run().ok() ? 0 : 1;
//
// run():
//   1. starts the health server (/readyz waits for every informer's first list), every
//      informer (all replicas keep warm caches, so a new leader starts at once), then every
//      Runnable that does not need leadership (usage sources, flushers), in the order added;
//   2. campaigns for the Lease (or leads at once without leader election);
//   3. once leading and every cache has synced (within cacheSyncTimeout), starts controllers
//      and the Runnables that need leadership;
//   4. blocks until requestShutdown() (a signal) or leadership is lost, then stops in this
//      order: controllers (queue shut down, in-flight reconciles finish), the leader-only
//      Runnables, leader election (Lease released, so a successor takes over without waiting
//      for expiry; releasing only after the drain keeps two replicas from acting at once), the
//      other Runnables (last added first), informers, health server.
// Returns an error if leadership was lost, a cache did not sync in time, a Runnable could not
// start or the health server could not listen; the process should then exit non-zero and be
// restarted fresh.
//
// Thread safety: add*() before run(), from one thread. requestShutdown(), leading() and
// healthPort() are thread-safe.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/health_server.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/leader_elector.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runnable.h"
#include "operator/runtime/runtime_metrics.h"
#include "operator/runtime/signal_handler.h"
#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::runtime {

struct ManagerOptions {
  HealthServerOptions health;
  bool enableHealthServer = true;
  // std::nullopt: this replica always leads (single replica, tests, `leakguard agent`).
  std::optional<LeaderElectorOptions> leaderElection;
  std::chrono::seconds cacheSyncTimeout{120};
  // Made by main() before any thread; run() starts it and shuts down on the first signal.
  SignalHandler* signals = nullptr;
};

class Manager {
 public:
  Manager(kube::ApiClient& api, Clock& clock, ManagerOptions opts = {});
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  kube::ApiClient& api() { return api_; }
  Clock& clock() { return clock_; }
  MetricsRegistry& metrics() { return registry_; }
  RuntimeMetrics& runtimeMetrics() { return runtimeMetrics_; }
  HealthServer& healthServer() { return health_; }

  // An informer owned by the manager; its reflectors report restarts to the runtime metrics
  // and their first lists gate /readyz and the controllers. `namespaces` not empty: one
  // reflector per namespace (see Informer).
  // `projector`: an Informer<T>::Projector or ViewProjector.
  template <class T, class Projector>
  Informer<T>& addInformer(ReflectorOptions opts, Projector projector,
                           const std::vector<std::string>& namespaces = {}) {
    opts.metrics = &runtimeMetrics_;
    opts.onSynced = [this] { notify(); };
    auto informer = std::make_unique<Informer<T>>(api_, clock_, std::move(opts),
                                                  std::move(projector), namespaces);
    Informer<T>& ref = *informer;
    informers_.push_back(std::move(informer));
    return ref;
  }
  // A controller owned by the manager; started once leading and synced. `reconciler` must
  // outlive the manager.
  Controller& addController(Reconciler& reconciler, ControllerOptions opts);
  // Something else that runs (runnable.h), started and stopped with the rest. Not owned: it
  // must outlive the manager.
  void add(Runnable& runnable);

  Status run();
  void requestShutdown();
  bool leading() const;
  std::uint16_t healthPort() const { return health_.port(); }

 private:
  void notify();
  bool allSynced() const;
  void startControllers();
  // Starts the Runnables of one kind that have not started; the first error, if any.
  Status startRunnables(bool leaderOnly);
  void stopRunnables(bool leaderOnly);
  void shutdownAll();

  kube::ApiClient& api_;
  Clock& clock_;
  ManagerOptions opts_;
  MetricsRegistry registry_;
  RuntimeMetrics runtimeMetrics_;
  HealthServer health_;
  std::vector<std::unique_ptr<InformerBase>> informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<Runnable*> runnables_;
  std::vector<bool> runnableStarted_;  // by index of runnables_
  std::unique_ptr<LeaderElector> elector_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;
  bool leading_ = false;
  bool lostLeadership_ = false;
  bool controllersStarted_ = false;
};

}  // namespace lg::runtime
