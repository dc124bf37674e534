#include "operator/runtime/leader_elector.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "operator/kube/rfc3339.h"
#include "operator/runtime/runtime_metrics.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace {

std::string stringAt(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int intAt(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// Lease times are metav1.MicroTime: RFC 3339 with microseconds, written and read by the one
// RFC 3339 codec of kube/rfc3339.h. A time that does not parse is no time at all.
std::optional<Clock::time_point> leaseTime(std::string_view s) {
  auto t = kube::parseRfc3339(s);
  return t.ok() ? std::optional(*t) : std::nullopt;
}

}  // namespace

LeaseRecord LeaseRecord::fromLease(const nlohmann::json& lease) {
  LeaseRecord r;
  if (!lease.is_object() || !lease.contains("spec")) return r;
  const auto& spec = lease["spec"];
  r.holderIdentity = stringAt(spec, "holderIdentity");
  r.leaseDurationSeconds = intAt(spec, "leaseDurationSeconds");
  r.leaseTransitions = intAt(spec, "leaseTransitions");
  r.acquireTime = leaseTime(stringAt(spec, "acquireTime"));
  r.renewTime = leaseTime(stringAt(spec, "renewTime"));
  return r;
}

void LeaseRecord::toLease(nlohmann::json& lease) const {
  nlohmann::json& spec = lease["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  spec["holderIdentity"] = holderIdentity;
  spec["leaseDurationSeconds"] = leaseDurationSeconds;
  spec["leaseTransitions"] = leaseTransitions;
  if (acquireTime) spec["acquireTime"] = kube::formatRfc3339Micro(*acquireTime);
  if (renewTime) spec["renewTime"] = kube::formatRfc3339Micro(*renewTime);
}

std::string makeLeaderIdentity(const std::string& podName) {
  std::string name = podName;
  if (name.empty())
    if (const char* p = std::getenv("POD_NAME")) name = p;
  if (name.empty())
    if (const char* p = std::getenv("HOSTNAME")) name = p;
  if (name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) == 0) name = host;
  }
  if (name.empty()) name = "leakguard";
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(rd()));
  return name + suffix;
}

LeaderElector::LeaderElector(kube::ApiClient& api, Clock& clock, LeaderElectorOptions opts)
    : api_(api), clock_(clock), opts_(std::move(opts)) {
  if (opts_.identity.empty()) opts_.identity = makeLeaderIdentity();
  ref_ = kube::ResourceRef{.group = "coordination.k8s.io",
                           .version = "v1",
                           .resource = "leases",
                           .ns = opts_.ns,
                           .name = opts_.name,
                           .subresource = ""};
  if (opts_.metrics) opts_.metrics->leader.set(0);
}

LeaderElector::~LeaderElector() {
  stop();
}

void LeaderElector::start() {
  std::lock_guard g(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool LeaderElector::stopping() const {
  std::lock_guard g(mu_);
  return stopping_;
}

bool LeaderElector::sleepFor(std::chrono::nanoseconds d) {
  std::unique_lock lock(mu_);
  clock_.waitFor(lock, cv_, d, [&] { return stopping_; });
  return !stopping_;
}

std::string LeaderElector::leader() const {
  std::lock_guard g(mu_);
  return observedHolder_;
}

void LeaderElector::setLeader(bool leading) {
  if (leader_.exchange(leading) == leading) return;
  if (opts_.metrics) opts_.metrics->leader.set(leading ? 1 : 0);
  if (leading) {
    LG_LOG(info, "became leader",
           {{"lease", opts_.ns + "/" + opts_.name}, {"identity", opts_.identity}});
    if (opts_.onStartedLeading) opts_.onStartedLeading();
  } else {
    LG_LOG(info, "stopped leading",
           {{"lease", opts_.ns + "/" + opts_.name}, {"identity", opts_.identity}});
    if (opts_.onStoppedLeading) opts_.onStoppedLeading();
  }
}

bool LeaderElector::expired(const LeaseRecord& r, Clock::time_point now,
                            Clock::steady_time_point steadyNow) const {
  const auto duration = std::chrono::seconds(r.leaseDurationSeconds);
  if (r.renewTime && *r.renewTime + duration < now) return true;
  std::lock_guard g(mu_);
  return observedRecord_ && *observedRecord_ == r && observedTime_ + duration <= steadyNow;
}

bool LeaderElector::tryAcquireOrRenew() {
  const auto now = clock_.now();
  const auto steadyNow = clock_.steadyNow();
  LeaseRecord mine;
  mine.holderIdentity = opts_.identity;
  mine.leaseDurationSeconds = static_cast<int>(opts_.leaseDuration.count());
  mine.acquireTime = now;
  mine.renewTime = now;

  for (int attempt = 0; attempt < 2; ++attempt) {
    auto got = api_.get(ref_);
    if (!got.ok()) {
      if (got.error().code != 404) {
        LG_LOG(warn, "reading the lease failed",
               {{"lease", opts_.ns + "/" + opts_.name},
                {"code", got.error().code},
                {"error", got.error().message}});
        return false;
      }
      nlohmann::json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                              {"kind", "Lease"},
                              {"metadata", {{"name", opts_.name}, {"namespace", opts_.ns}}}};
      mine.toLease(lease);
      kube::ResourceRef collection = ref_;
      collection.name.clear();
      auto created = api_.create(collection, lease);
      if (created.ok()) {
        std::lock_guard g(mu_);
        observedHolder_ = opts_.identity;
        observedRecord_ = mine;
        observedTime_ = steadyNow;
        return true;
      }
      if (created.error().code == 409) continue;  // created by someone else meanwhile: re-read
      LG_LOG(warn, "creating the lease failed",
             {{"lease", opts_.ns + "/" + opts_.name},
              {"code", created.error().code},
              {"error", created.error().message}});
      return false;
    }

    nlohmann::json lease = std::move(got).value();
    const LeaseRecord old = LeaseRecord::fromLease(lease);
    {
      std::lock_guard g(mu_);
      if (!observedRecord_ || !(*observedRecord_ == old)) {
        observedRecord_ = old;
        observedTime_ = steadyNow;
      }
      observedHolder_ = old.holderIdentity;
    }
    const bool ours = old.holderIdentity == opts_.identity;
    if (!old.holderIdentity.empty() && !ours && !expired(old, now, steadyNow)) return false;

    LeaseRecord next = mine;
    if (ours) {
      next.acquireTime = old.acquireTime ? old.acquireTime : now;
      next.leaseTransitions = old.leaseTransitions;
    } else {
      next.leaseTransitions = old.leaseTransitions + 1;
    }
    next.toLease(lease);
    kube::WriteOptions wo;
    wo.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.renewDeadline);
    auto replaced = api_.replace(ref_, lease, wo);
    if (replaced.ok()) {
      std::lock_guard g(mu_);
      observedHolder_ = opts_.identity;
      observedRecord_ = next;
      observedTime_ = steadyNow;
      return true;
    }
    if (replaced.error().code == 409) continue;  // someone wrote in between: re-read
    LG_LOG(warn, "updating the lease failed",
           {{"lease", opts_.ns + "/" + opts_.name},
            {"code", replaced.error().code},
            {"error", replaced.error().message}});
    return false;
  }
  return false;
}

bool LeaderElector::release() {
  auto got = api_.get(ref_);
  if (!got.ok()) {
    // The other replicas take over when the lease expires instead of at once.
    LG_LOG(warn, "releasing the lease failed: cannot read it",
           {{"lease", opts_.ns + "/" + opts_.name},
            {"code", got.error().code},
            {"error", got.error().message}});
    return false;
  }
  nlohmann::json lease = std::move(got).value();
  const LeaseRecord old = LeaseRecord::fromLease(lease);
  if (old.holderIdentity != opts_.identity) return false;
  const auto now = clock_.now();
  LeaseRecord released;
  released.holderIdentity = "";
  released.leaseDurationSeconds = 1;
  released.acquireTime = now;
  released.renewTime = now;
  released.leaseTransitions = old.leaseTransitions;
  released.toLease(lease);
  auto replaced = api_.replace(ref_, lease);
  if (!replaced.ok()) {
    LG_LOG(warn, "releasing the lease failed",
           {{"lease", opts_.ns + "/" + opts_.name},
            {"code", replaced.error().code},
            {"error", replaced.error().message}});
    return false;
  }
  std::lock_guard g(mu_);
  observedHolder_.clear();
  return true;
}

void LeaderElector::run() {
  while (!stopping()) {
    // Candidate: try every retryPeriod until we hold the Lease.
    if (!tryAcquireOrRenew()) {
      if (!sleepFor(opts_.retryPeriod)) break;
      continue;
    }
    auto lastRenew = clock_.steadyNow();
    setLeader(true);
    // Leader: renew every retryPeriod; give up past renewDeadline without a successful renew.
    bool lost = false;
    while (!lost) {
      if (!sleepFor(opts_.retryPeriod)) break;
      if (tryAcquireOrRenew()) {
        lastRenew = clock_.steadyNow();
        continue;
      }
      const std::string holder = leader();
      if (!holder.empty() && holder != opts_.identity) {
        LG_LOG(warn, "lease taken by another replica", {{"holder", holder}});
        lost = true;
      } else if (clock_.steadyNow() - lastRenew >= opts_.renewDeadline) {
        LG_LOG(error, "could not renew the lease within the renew deadline",
               {{"renewDeadlineMs", opts_.renewDeadline.count()}});
        lost = true;
      }
    }
    if (lost) {
      setLeader(false);
      continue;
    }
    break;  // stopping while leading
  }
  if (isLeader()) {
    if (opts_.releaseOnStop) release();
    setLeader(false);
  }
}

}  // namespace lg::runtime
