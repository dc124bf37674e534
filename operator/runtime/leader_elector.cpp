#include "operator/runtime/leader_elector.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>

#include "operator/runtime/runtime_metrics.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

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

}  // namespace

std::string formatMicroTime(Clock::time_point t) {
  using namespace std::chrono;
  const auto us = time_point_cast<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::optional<Clock::time_point> parseRfc3339(std::string_view s) {
  using namespace std::chrono;
  int Y, M, D, h, m, sec;
  if (!digits(s, 0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, M) || s[7] != '-' ||
      !digits(s, 8, 2, D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, m) || s[16] != ':' ||
      !digits(s, 17, 2, sec))
    return std::nullopt;
  const year_month_day ymd{year{Y}, month{static_cast<unsigned>(M)}, day{static_cast<unsigned>(D)}};
  if (!ymd.ok() || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::int64_t scale = 100'000'000;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om))
      return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const auto t = sys_days{ymd} + hours(h) + minutes(m) + seconds(sec) + frac - offset;
  return time_point_cast<Clock::time_point::duration>(t);
}

LeaseRecord LeaseRecord::fromLease(const nlohmann::json& lease) {
  LeaseRecord r;
  if (!lease.is_object() || !lease.contains("spec")) return r;
  const auto& spec = lease["spec"];
  r.holderIdentity = stringAt(spec, "holderIdentity");
  r.leaseDurationSeconds = intAt(spec, "leaseDurationSeconds");
  r.leaseTransitions = intAt(spec, "leaseTransitions");
  r.acquireTime = parseRfc3339(stringAt(spec, "acquireTime"));
  r.renewTime = parseRfc3339(stringAt(spec, "renewTime"));
  return r;
}

void LeaseRecord::toLease(nlohmann::json& lease) const {
  nlohmann::json& spec = lease["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  spec["holderIdentity"] = holderIdentity;
  spec["leaseDurationSeconds"] = leaseDurationSeconds;
  spec["leaseTransitions"] = leaseTransitions;
  if (acquireTime) spec["acquireTime"] = formatMicroTime(*acquireTime);
  if (renewTime) spec["renewTime"] = formatMicroTime(*renewTime);
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
