#include "controllers/actions/incident_journal.h"

#include <algorithm>

#include "controllers/actions/action_support.h"
#include "controllers/policy/api_resources.h"
#include "operator/kube/rfc3339.h"

namespace lg::actions {
namespace {

nlohmann::json entryJson(const JournalWrite& w) {
  nlohmann::json e = {{"time", isoTime(w.time)},
                      {"step", w.step},
                      {"action", w.action},
                      {"outcome", name(w.outcome)}};
  if (!w.message.empty()) e["message"] = w.message.substr(0, 1024);
  if (!w.budget.empty()) e["budget"] = w.budget;
  return e;
}

int dropRank(const nlohmann::json& e) {
  const std::string o = e.is_object() ? e.value("outcome", "") : "";
  if (o == name(Outcome::kSkipped)) return 0;
  if (o == name(Outcome::kObserved)) return 1;
  if (o == name(Outcome::kFailed)) return 2;
  return 3;  // Started, Succeeded: what idempotency rests on
}

void trim(nlohmann::json& actions) {
  while (actions.size() > IncidentJournal::kMaxEntries) {
    std::size_t victim = 0;
    int best = 4;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      const int r = dropRank(actions[i]);
      if (r < best) {
        best = r;
        victim = i;
      }
    }
    actions.erase(actions.begin() + static_cast<std::ptrdiff_t>(victim));
  }
}

}  // namespace

Result<IncidentJournal> IncidentJournal::load(kube::ApiClient& api, const std::string& ns,
                                              const std::string& name,
                                              std::chrono::milliseconds timeout) {
  (void)timeout;  // ApiClient::get has the client-wide deadline
  auto obj = api.get(policy::leakIncidentsRef(ns, name));
  if (!obj) return obj.error();
  if (!obj->is_object()) return makeError("leakincident " + name + " is not an object");
  return IncidentJournal(api, std::move(*obj), timeout);
}

std::vector<JournalEntry> IncidentJournal::parse(const nlohmann::json& status) {
  std::vector<JournalEntry> out;
  if (!status.is_object()) return out;
  auto it = status.find("actions");
  if (it == status.end() || !it->is_array()) return out;
  for (const auto& e : *it) {
    if (!e.is_object()) continue;
    JournalEntry j;
    j.action = stringAt(e, "/action");
    if (j.action.empty()) continue;
    j.step = stringAt(e, "/step");
    const auto outcome = parseOutcome(stringAt(e, "/outcome"));
    if (!outcome) continue;  // not one this version can read
    j.outcome = *outcome;
    if (auto t = kube::parseRfc3339(stringAt(e, "/time")))
      j.time = std::chrono::duration<double>(t->time_since_epoch()).count();
    out.push_back(std::move(j));
  }
  return out;
}

nlohmann::json IncidentJournal::status() const {
  if (obj_.contains("status") && obj_["status"].is_object()) return obj_["status"];
  return nlohmann::json::object();
}

std::string IncidentJournal::state() const {
  return stringAt(obj_, "/status/state");
}

Status IncidentJournal::write(nlohmann::json status) {
  nlohmann::json body = obj_;
  body["status"] = std::move(status);
  kube::WriteOptions w;
  w.timeout = timeout_;
  auto r = api_->replace(policy::leakIncidentsRef(stringAt(obj_, "/metadata/namespace"),
                                                  stringAt(obj_, "/metadata/name"), "status"),
                         body, w);
  if (!r) return r.error();
  if (r->is_object()) {
    obj_ = std::move(*r);
  } else {
    obj_ = std::move(body);
  }
  return okStatus();
}

Status IncidentJournal::append(const JournalWrite& w) {
  nlohmann::json st = status();
  if (!st.contains("actions") || !st["actions"].is_array()) st["actions"] = nlohmann::json::array();
  st["actions"].push_back(entryJson(w));
  trim(st["actions"]);
  if (!w.diagnostics.is_null()) {
    if (!st.contains("diagnostics") || !st["diagnostics"].is_array())
      st["diagnostics"] = nlohmann::json::array();
    st["diagnostics"].push_back(w.diagnostics);
    while (st["diagnostics"].size() > kMaxDiagnostics)
      st["diagnostics"].erase(0);
  }
  if (w.lastAction) st["lastAction"] = *w.lastAction;
  if (w.state) st["state"] = *w.state;
  return write(std::move(st));
}

Result<bool> IncidentJournal::skip(const JournalWrite& w) {
  nlohmann::json st = status();
  if (!st.contains("actions") || !st["actions"].is_array()) st["actions"] = nlohmann::json::array();
  auto& actions = st["actions"];
  for (std::size_t i = actions.size(); i-- > 0;) {
    const auto& e = actions[i];
    if (!e.is_object() || stringAt(e, "/step") != w.step) continue;
    if (stringAt(e, "/outcome") != name(Outcome::kSkipped)) break;
    if (stringAt(e, "/message") == w.message.substr(0, 1024)) return false;
    actions.erase(actions.begin() + static_cast<std::ptrdiff_t>(i));
    break;
  }
  actions.push_back(entryJson(w));
  trim(actions);
  if (auto s = write(std::move(st)); !s) return s.error();
  return true;
}

}  // namespace lg::actions
