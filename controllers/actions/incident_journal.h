#pragma once
// The journal of one LeakIncident (status.actions), read from and written to the API server.
//
// Idempotency rests on it: the executor writes an action's "Started" entry BEFORE the side
// effect and its outcome after, so a controller that dies in between finds "Started" and never
// does the action again (the planner treats Started as done). That only holds if the journal
// it reads is the latest: load() is a quorum GET (the informer cache may lag behind our own
// writes), and every write is a PUT of the status with the resourceVersion read, so a
// concurrent writer makes the write fail (409) instead of being overwritten.
//
// Bounded: at most kMaxEntries entries (the CRD's maxItems); the oldest Skipped, Observed and
// Failed entries go first, Started and Succeeded only if nothing else is left. Skips of a step
// that is skipped again are folded into one entry (updated only when the reason changes), so a
// step waiting on a PodDisruptionBudget does not fill the journal. Diagnostics: the last 16.
// Not thread-safe (one reconcile owns it).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controllers/actions/playbook_planner.h"
#include "operator/kube/api_client.h"

namespace lg::actions {

struct JournalWrite {
  std::string step;
  std::string action;  // the action's name
  Outcome outcome = Outcome::kStarted;
  double time = 0;
  std::string message;
  std::string budget;
  nlohmann::json diagnostics;             // appended to status.diagnostics when not null
  std::optional<std::string> lastAction;  // status.lastAction
  std::optional<std::string> state;       // status.state
};

class IncidentJournal {
 public:
  static constexpr std::size_t kMaxEntries = 64;
  static constexpr std::size_t kMaxDiagnostics = 16;

  // Quorum read of incident ns/name. Error 404: gone.
  static Result<IncidentJournal> load(kube::ApiClient& api, const std::string& ns,
                                      const std::string& name, std::chrono::milliseconds timeout);
  // The entries of a status object (tolerates anything: entries it cannot read are left out).
  static std::vector<JournalEntry> parse(const nlohmann::json& status);

  std::vector<JournalEntry> entries() const { return parse(status()); }
  const nlohmann::json& object() const { return obj_; }
  nlohmann::json status() const;
  std::string state() const;

  // Appends and writes. On error nothing is known to be written (409: someone else wrote).
  Status append(const JournalWrite& w);
  // A skip: folded into the step's last entry when that is a Skipped one. ok(false): the same
  // skip is recorded already, nothing written.
  Result<bool> skip(const JournalWrite& w);

 private:
  IncidentJournal(kube::ApiClient& api, nlohmann::json obj, std::chrono::milliseconds timeout)
      : api_(&api), obj_(std::move(obj)), timeout_(timeout) {}
  Status write(nlohmann::json status);

  kube::ApiClient* api_;
  nlohmann::json obj_;
  std::chrono::milliseconds timeout_;
};

}  // namespace lg::actions
