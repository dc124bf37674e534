#pragma once
// LeaderElector: one active replica through a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection does.
//
// - Acquire: create the Lease if it does not exist; otherwise take it over when it is free
//   (holderIdentity empty) or expired. Expired means either renewTime + leaseDurationSeconds <
//   now (wall clock), or the record has not changed for leaseDurationSeconds as observed on
//   our monotonic clock (client-go's rule, which also frees a lease whose holder's clock ran
//   ahead). Taking over bumps leaseTransitions and sets acquireTime.
// - Renew every retryPeriod while leading. If no renew succeeds within renewDeadline of the
//   last successful one (or the Lease shows another holder), leadership is lost:
//   onStoppedLeading runs and the elector goes back to being a candidate.
// - Writes are optimistic (PUT with metadata.resourceVersion): a 409 re-reads and tries once
//   more within the same round.
// - stop() while leading releases the Lease (holderIdentity "", leaseDurationSeconds 1) so a
//   successor need not wait for expiry, then calls onStoppedLeading.
// renewDeadline must be shorter than leaseDuration: we give up before others may take over.
//
// Thread safety: start()/stop()/isLeader()/leader() are thread-safe. Callbacks run on the
// elector's thread (or the thread calling run()) and must return quickly (set a flag, start
// threads): the renew loop waits for them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "operator/kube/api_client.h"
#include "operator/util/clock.h"

namespace lg::runtime {

class RuntimeMetrics;

struct LeaderElectorOptions {
  std::string ns = "leakguard-system";
  std::string name = "leakguard-controller";
  std::string identity;  // unique per process: makeLeaderIdentity()
  std::chrono::seconds leaseDuration{15};
  std::chrono::milliseconds renewDeadline{10000};
  std::chrono::milliseconds retryPeriod{2000};
  bool releaseOnStop = true;
  std::function<void()> onStartedLeading;
  std::function<void()> onStoppedLeading;
  RuntimeMetrics* metrics = nullptr;
};

// The fields of a Lease's spec the election reads and writes.
struct LeaseRecord {
  std::string holderIdentity;
  int leaseDurationSeconds = 0;
  std::optional<Clock::time_point> acquireTime;
  std::optional<Clock::time_point> renewTime;
  int leaseTransitions = 0;

  static LeaseRecord fromLease(const nlohmann::json& lease);
  // Writes the record into lease["spec"] (MicroTime timestamps, as the API server expects).
  void toLease(nlohmann::json& lease) const;
  bool operator==(const LeaseRecord&) const = default;
};

class LeaderElector {
 public:
  LeaderElector(kube::ApiClient& api, Clock& clock, LeaderElectorOptions opts);
  ~LeaderElector();  // stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the election loop on an owned thread.
  void start();
  // Runs the election loop on the calling thread until stop().
  void run();
  // Ends the loop; releases the Lease if leading (and releaseOnStop). Joins the thread made by
  // start(). Idempotent.
  void stop();

  bool isLeader() const { return leader_.load(); }
  // The holder last seen in the Lease ("" if none or unknown).
  std::string leader() const;
  const std::string& identity() const { return opts_.identity; }

  // One round: acquire or renew. True if we hold the Lease afterwards. Used by run(); public
  // for tests.
  bool tryAcquireOrRenew();
  // Gives the Lease up if we hold it. Used by stop(); public for tests.
  bool release();

 private:
  bool expired(const LeaseRecord& r, Clock::time_point now,
               Clock::steady_time_point steadyNow) const;
  bool sleepFor(std::chrono::nanoseconds d);
  bool stopping() const;
  void setLeader(bool leading);

  kube::ApiClient& api_;
  Clock& clock_;
  LeaderElectorOptions opts_;
  kube::ResourceRef ref_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::string observedHolder_;
  std::optional<LeaseRecord> observedRecord_;
  Clock::steady_time_point observedTime_{};
  std::atomic<bool> leader_{false};
};

// "<pod name>_<8 random hex digits>"; the pod name from $POD_NAME, else $HOSTNAME, else
// gethostname().
std::string makeLeaderIdentity(const std::string& podName = "");

}  // namespace lg::runtime
