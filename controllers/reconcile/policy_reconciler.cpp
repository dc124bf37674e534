#include "controllers/reconcile/policy_reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "controllers/actions/action_support.h"
#include "controllers/actions/event_fanout.h"
#include "controllers/actions/incident_journal.h"
#include "controllers/actions/playbook_planner.h"
#include "controllers/policy/api_resources.h"
#include "controllers/reconcile/incident_builder.h"
#include "controllers/reconcile/sizing_advisor.h"
#include "operator/kube/rfc3339.h"
#include "operator/util/logger.h"

namespace lg::reconcile {
namespace {

std::string isoTime(double seconds) {
  return kube::formatRfc3339(
      Clock::time_point(std::chrono::duration_cast<Clock::time_point::duration>(
          std::chrono::duration<double>(seconds))));
}

// The key budgets are counted under: "Deployment/checkout", or "Pod/<name>" for a bare pod.
std::string workloadKey(const Workload& w, const std::string& podName) {
  return w.kind.empty() ? "Pod/" + podName : w.kind + "/" + w.name;
}
std::string workloadKey(const IncidentObject& inc) {
  return workloadKey({.kind = inc.workloadKind, .name = inc.workloadName}, inc.podName);
}

double parseTime(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return 0;
  auto t = kube::parseRfc3339(j[key].get<std::string>());
  return t ? toSeconds(*t) : 0;
}

std::string resourcesText(const policy::LeakPolicySpec& s) {
  std::string out;
  for (auto r : s.resources)
    out += (out.empty() ? "" : ", ") + std::string(detect::name(r));
  return out;
}

// A condition, keeping lastTransitionTime when status did not change.
nlohmann::json condition(const nlohmann::json& old, const std::string& type, bool status,
                         const std::string& reason, const std::string& message, int64_t gen,
                         const std::string& now) {
  std::string since = now;
  if (old.is_object() && old.contains("conditions") && old["conditions"].is_array()) {
    for (const auto& c : old["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == (status ? "True" : "False"))
        since = c.value("lastTransitionTime", now);
    }
  }
  return {
      {"type", type},       {"status", status ? "True" : "False"}, {"reason", reason},
      {"message", message}, {"observedGeneration", gen},           {"lastTransitionTime", since}};
}

}  // namespace

PolicyReconciler::PolicyReconciler(PolicyReconcilerDeps deps)
    : d_(std::move(deps)), unobserved_(d_.unobservedAfterSeconds) {}

const actions::ActionRegistry& PolicyReconciler::actions() const {
  static const actions::ActionRegistry kNone;
  return d_.actions ? *d_.actions : kNone;
}

ReplicaSetLookup PolicyReconciler::rsLookup() const {
  auto* store = d_.replicaSets;
  return
      [store](const std::string& ns, const std::string& name) -> std::optional<ReplicaSetObject> {
        if (!store) return std::nullopt;
        auto p = store->get(ns + "/" + name);
        if (!p) return std::nullopt;
        return *p;
      };
}

std::vector<std::string> PolicyReconciler::policiesCovering(
    const runtime::PodProjection& pod) const {
  std::vector<std::string> out;
  const auto lookup = rsLookup();
  for (const auto& p : d_.policies->byIndex("namespace", pod.ns.str()))
    if (covers(*p, pod, lookup)) out.push_back(p->key());
  return out;
}

runtime::ReconcileResult PolicyReconciler::reconcile(const std::string& key) {
  const auto policy = d_.policies->get(key);
  if (!policy) {  // deleted: incidents go with it (owner), its gauges here
    unobserved_.forget(key);
    {
      std::lock_guard lock(sizedMu_);
      sized_.erase(key);
    }
    if (const auto slash = key.find('/'); d_.gauges && slash != std::string::npos)
      d_.gauges->forget(key.substr(0, slash), key.substr(slash + 1));
    return runtime::ReconcileResult::done();
  }
  const double now = toSeconds(d_.clock->now());
  const auto lookup = rsLookup();

  std::vector<std::shared_ptr<const runtime::PodProjection>> nsPods =
      d_.pods->byIndex("namespace", policy->ns);
  std::vector<const runtime::PodProjection*> covered;
  if (policy->parsed.usable()) {
    for (const auto& pod : nsPods)
      if (covers(*policy, *pod, lookup)) covered.push_back(pod.get());
  }
  Counts counts;
  counts.matched = static_cast<int>(covered.size());
  std::vector<Work> work;
  if (policy->parsed.usable()) {
    if (auto st = syncIncidents(*policy, covered, now, counts, work); !st.ok())
      return runtime::ReconcileResult::retry(st.error());
  }
  counts.unobserved = countUnobserved(*policy, covered, now);
  reportGauges(*policy, counts, now);
  const Sizes sizes = sizing(*policy, covered, now);
  if (auto st = writeStatus(*policy, counts, sizes, now); !st.ok()) {
    // 404: deleted meanwhile; 409 cannot happen with a merge patch. Others: retry.
    if (st.error().code == 404) return runtime::ReconcileResult::done();
    return runtime::ReconcileResult::retry(st.error());
  }
  if (d_.executor && policy->parsed.usable()) {
    if (auto st = act(*policy, std::move(work), nsPods, now); !st.ok())
      return runtime::ReconcileResult::retry(st.error());
  }
  return runtime::ReconcileResult::after(d_.resync);
}

void PolicyReconciler::reportGauges(const PolicyObject& p, const Counts& counts, double now) const {
  if (!d_.gauges) return;
  std::map<std::string, int> incidents;
  for (const auto& inc : d_.incidents->byIndex("policy", p.key()))
    ++incidents[inc->state];
  int escalations = 0;
  for (const auto& [step, time] : history(p).policyActions)
    if (time >= now - 3600) ++escalations;
  d_.gauges->record({.ns = p.ns,
                     .name = p.name,
                     .ready = p.parsed.usable(),
                     .matched = counts.matched,
                     .leaking = counts.leaking,
                     .unobserved = counts.unobserved,
                     .incidents = std::move(incidents),
                     .escalationsLastHour = escalations,
                     .escalationBudget = p.parsed.spec.budgets.maxActionsPerHour});
}

int PolicyReconciler::countUnobserved(const PolicyObject& p,
                                      const std::vector<const runtime::PodProjection*>& covered,
                                      double now) {
  std::vector<UnobservedPods::Pod> running;
  for (const runtime::PodProjection* pod : covered) {
    if (pod->phase != runtime::PodPhase::kRunning || pod->terminating) continue;
    running.push_back(
        {.uid = pod->uid.str(), .lastSample = d_.hub->lastSampleTime(pod->uid.str())});
  }
  return unobserved_.update(p.key(), running, now);
}

Result<PolicyReconciler::Created> PolicyReconciler::createIncident(const PolicyObject& p,
                                                                   const IncidentInput& in,
                                                                   double now,
                                                                   std::set<std::string>& names) {
  const std::string base = incidentName(in.podName, in.resource, now);
  int n = 1;
  auto next = [&] {
    std::string name = base;
    while (names.count(name))
      name = base + "-" + std::to_string(++n);
    return name;
  };
  for (int attempt = 0; attempt < 20; ++attempt) {
    const std::string name = next();
    auto created = d_.api->create(policy::leakIncidentsRef(p.ns), incidentObject(in, name));
    if (created) return Created{.name = name, .adopted = false};
    if (created.error().code != 409) return created.error();
    // Taken. Ours, created before the cache saw it: carry on with it. Another policy's (two
    // policies covering one pod) or a deleted-and-recreated policy's: never adopt it.
    auto existing = d_.api->get(policy::leakIncidentsRef(p.ns, name));
    if (!existing) {
      if (existing.error().code != 404) return existing.error();
      continue;  // deleted meanwhile: try the name again
    }
    if (isIncidentOf(*existing, in)) return Created{.name = name, .adopted = true};
    names.insert(name);
  }
  return makeError("no free incident name for pod " + in.podName + " after 20 tries (" + base +
                   "-N are all taken)");
}

Status PolicyReconciler::syncIncidents(const PolicyObject& p,
                                       const std::vector<const runtime::PodProjection*>& pods,
                                       double now, Counts& counts, std::vector<Work>& work) {
  Sync sync{.p = p, .now = now, .mine = d_.incidents->byIndex("policy", p.key())};
  for (const auto& inc : sync.mine) {
    sync.names.insert(inc->name);
    // No state yet: created, its status still being written (by another controller, maybe):
    // open, or a second incident of the same series would be opened beside it.
    if (inc->state.empty() || inc->state == "Open" || inc->state == "Mitigating")
      sync.open[{inc->podUid, inc->container, inc->resource}] = inc.get();
  }
  const auto lookup = rsLookup();
  for (const runtime::PodProjection* pod : pods) {
    bool leaking = false;
    for (const auto& [sk, view] : d_.hub->currentFindings(pod->uid.str(), now)) {
      if (!p.parsed.spec.watches(sk.resource) || !p.parsed.spec.watchesContainer(sk.container))
        continue;
      leaking = true;
      auto w = recordFinding(sync, *pod, workloadOf(*pod, lookup), sk, view);
      if (!w) return w.error();
      work.push_back(std::move(*w));
    }
    if (leaking) ++counts.leaking;
  }
  if (auto st = closeFinished(sync, pods); !st) return st;
  if (auto st = settleClosed(sync); !st) return st;
  return pruneIncidents(sync);
}

Status PolicyReconciler::settleClosed(const Sync& sync) {
  if (!d_.executor) return okStatus();
  const PolicyObject& p = sync.p;
  for (const auto& inc : sync.mine) {
    if (inc->state != "Resolved" && inc->state != "Abandoned") continue;
    if (!d_.executor->hasStepsInDoubt(p.parsed.spec, actions::IncidentJournal::parse(inc->status),
                                      sync.now))
      continue;
    actions::IncidentCase c;
    c.spec = &p.parsed.spec;
    c.policyKey = p.key();
    c.workloadKey = workloadKey(*inc);
    c.target = actions::ActionTarget{.ns = p.ns,
                                     .podName = inc->podName,
                                     .podUid = inc->podUid,
                                     .node = inc->node,
                                     .container = inc->container,
                                     .resource = inc->resource,
                                     .workloadKind = inc->workloadKind,
                                     .workloadName = inc->workloadName,
                                     .workloadRevision = inc->workloadRevision,
                                     .incidentName = inc->name,
                                     .incidentUid = "",
                                     .policyName = p.name,
                                     .policyUid = p.uid,
                                     .summary = ""};
    c.plan.spec = c.spec;
    c.plan.now = sync.now;
    if (auto st = d_.executor->settleClosed(c); !st) return st;
  }
  return okStatus();
}

Result<PolicyReconciler::Work> PolicyReconciler::recordFinding(Sync& sync,
                                                               const runtime::PodProjection& pod,
                                                               const Workload& workload,
                                                               const SeriesKey& sk,
                                                               const SeriesView& view) {
  const PolicyObject& p = sync.p;
  const std::string uid = pod.uid.str();
  const std::string res(detect::name(sk.resource));
  sync.seen.insert({uid, sk.container, res});
  IncidentInput in{.policy = &p,
                   .podName = pod.name.str(),
                   .podUid = uid,
                   .node = pod.nodeName.str(),
                   .container = sk.container,
                   .workload = workload,
                   .resource = sk.resource,
                   .source = view.source,
                   .finding = *view.finding,
                   .firstSuspected = view.finding->time - view.finding->growthSeconds,
                   .line = view.lineName};
  const auto evidence = incidentEvidence(in);
  Work w{.incident = "",
         .pod = &pod,
         .container = sk.container,
         .resource = sk.resource,
         .finding = *view.finding,
         .summary = res + " (" + evidence.value("signal", "") + ") " + evidence.value("rate", "") +
                    ", " + reachedWhat(evidence) + " reached " + evidence.value("exhaustion", "")};
  auto it = sync.open.find({uid, sk.container, res});
  if (it == sync.open.end()) {
    auto created = openIncident(sync, in, view);
    if (!created) return created.error();
    w.incident = *created;
    return w;
  }
  const IncidentObject& inc = *it->second;
  w.incident = inc.name;
  if (inc.state.empty()) {
    // Its creator writes the status next; one that has not in a minute died in between, and
    // the incident is opened here.
    const auto created = kube::parseRfc3339(inc.created);
    if (created && sync.now - toSeconds(*created) < kOpeningSeconds) return w;
    if (auto st = writeOpening(p, in, view, inc.name); !st) return st.error();
    return w;
  }
  // Refresh the evidence when the forecast moved on (at most every 5 minutes).
  if (view.finding->time - parseTime(inc.status, "confirmed") >= 300) {
    auto patched =
        d_.api->patch(policy::leakIncidentsRef(p.ns, inc.name, "status"), kube::PatchType::kMerge,
                      {{"status",
                        {{"confirmed", isoTime(view.finding->time)},
                         {"evidence", evidence},
                         {"usage", incidentUsage(in, d_.hub->history(sk))}}}});
    if (!patched && patched.error().code != 404) return patched.error();
  }
  return w;
}

Result<std::string> PolicyReconciler::openIncident(Sync& sync, const IncidentInput& in,
                                                   const SeriesView& view) {
  const PolicyObject& p = sync.p;
  auto created = createIncident(p, in, sync.now, sync.names);
  if (!created) return created.error();
  const std::string name = created->name;
  sync.names.insert(name);
  // Adopted: created by another controller (or this one, before the cache saw it), whose
  // status is that creator's to write; written here only if it never is (recordFinding).
  if (created->adopted) return name;
  if (auto st = writeOpening(p, in, view, name); !st) return st.error();
  return name;
}

Status PolicyReconciler::writeOpening(const PolicyObject& p, const IncidentInput& in,
                                      const SeriesView& view, const std::string& name) {
  nlohmann::json status = {
      {"state", "Open"},
      {"firstSuspected", isoTime(in.firstSuspected)},
      {"confirmed", isoTime(view.finding->time)},
      {"containerId", view.containerId},
      {"evidence", incidentEvidence(in)},
      {"usage", incidentUsage(in, d_.hub->history({in.podUid, in.container, in.resource}))},
      {"lastAction", p.parsed.spec.mode == policy::Mode::kObserve ? "observe" : "none"},
      {"observedPolicyGeneration", p.generation},
  };
  auto patched = d_.api->patch(policy::leakIncidentsRef(p.ns, name, "status"),
                               kube::PatchType::kMerge, {{"status", status}});
  if (!patched) return patched.error();
  LG_LOG(info, "leak confirmed",
         {{"policy", p.key()},
          {"pod", in.podName},
          {"container", in.container},
          {"resource", std::string(detect::name(in.resource))},
          {"incident", name},
          {"rate", status["evidence"]["rate"]},
          {"exhaustion", status["evidence"]["exhaustion"]}});
  announceLeak(p, in, name, status["evidence"]);
  return okStatus();
}

void PolicyReconciler::announceLeak(const PolicyObject& p, const IncidentInput& in,
                                    const std::string& incident, const nlohmann::json& ev) {
  if (!d_.events) return;
  const std::string note = std::string(detect::name(in.resource)) + " (" +
                           ev["signal"].get<std::string>() + ") " + ev["rate"].get<std::string>() +
                           ", " + reachedWhat(ev) + " reached " +
                           ev["exhaustion"].get<std::string>() + " (90% " +
                           ev["exhaustionInterval"].get<std::string>() + "); incident " + incident;
  actions::recordOnPodOwnerAndPolicy(*d_.events,
                                     {.ns = p.ns,
                                      .podName = in.podName,
                                      .podUid = in.podUid,
                                      .workloadKind = in.workload.kind,
                                      .workloadName = in.workload.name,
                                      .policyName = p.name,
                                      .policyUid = p.uid},
                                     kube::EventType::kNormal, "LeakConfirmed", "Detect", note);
}

Status PolicyReconciler::closeFinished(const Sync& sync,
                                       const std::vector<const runtime::PodProjection*>& pods) {
  // Resolve open incidents whose container is gone or has stopped leaking.
  std::map<std::string, const runtime::PodProjection*> byUid;
  for (const auto* pod : pods)
    byUid[pod->uid.str()] = pod;
  for (const auto& [k, inc] : sync.open) {
    if (sync.seen.count(k)) continue;
    const Finished f = whyFinished(*inc, byUid.count(inc->podUid) > 0, sync.now);
    if (f.why == Finished::Why::kNotYet) continue;
    // Acted: an action ran or was started. The cache may not hold the outcome yet when the
    // evicted pod is already gone, but "Started" is journalled before the action runs.
    const std::string lastAction = actions::stringAt(inc->status, "/lastAction");
    bool acted = !lastAction.empty() && lastAction != "none" && lastAction != "observe";
    acted = acted || inc->state == "Mitigating";
    // An escalation that may have happened (started and not known to have failed).
    acted = acted || !actions::effectiveAttempts(actions::IncidentJournal::parse(inc->status),
                                                 actions(), &actions::ActionTraits::escalation)
                          .empty();
    // Nothing done and the pod gone (deleted, scaled down): abandoned, not resolved.
    const std::string state = acted || f.why != Finished::Why::kPodGone ? "Resolved" : "Abandoned";
    auto patched = d_.api->patch(
        policy::leakIncidentsRef(sync.p.ns, inc->name, "status"), kube::PatchType::kMerge,
        {{"status", {{"state", state}, {"resolved", isoTime(sync.now)}, {"after", f.text}}}});
    if (!patched && patched.error().code != 404) return patched.error();
  }
  return okStatus();
}

PolicyReconciler::Finished PolicyReconciler::whyFinished(const IncidentObject& inc, bool podExists,
                                                         double now) const {
  using Why = Finished::Why;
  if (!podExists) return {Why::kPodGone, "pod " + inc.podName + " is gone"};
  const auto res = detect::parseResource(inc.resource);
  std::optional<SeriesView> v;
  if (res) v = d_.hub->view({inc.podUid, inc.container, *res});
  const std::string oldId = inc.status.value("containerId", "");
  if (v && differentContainer(v->containerId, oldId))
    return {Why::kContainerRestarted, "container " + inc.container + " restarted"};
  if (now - parseTime(inc.status, "confirmed") > d_.resolveAfterSeconds)
    return {Why::kGrowthStopped, "growth stopped"};
  return {Why::kNotYet, ""};
}

Status PolicyReconciler::pruneIncidents(const Sync& sync) {
  // Keep at most spec.incidents.keep, pruning the oldest closed ones first.
  const int keep = sync.p.parsed.spec.keepIncidents;
  if (static_cast<int>(sync.mine.size()) <= keep) return okStatus();
  std::vector<const IncidentObject*> closed;
  for (const auto& inc : sync.mine)
    if (inc->state == "Resolved" || inc->state == "Abandoned") closed.push_back(inc.get());
  std::sort(closed.begin(), closed.end(),
            [](const auto* a, const auto* b) { return a->created < b->created; });
  const std::size_t excess = sync.mine.size() - static_cast<std::size_t>(keep);
  for (std::size_t i = 0; i < closed.size() && i < excess; ++i) {
    auto st = d_.api->remove(policy::leakIncidentsRef(sync.p.ns, closed[i]->name));
    if (!st && st.error().code != 404) return st.error();
  }
  return okStatus();
}

std::map<std::string, PolicyReconciler::Avail> PolicyReconciler::availability(
    const PolicyObject& p, const std::vector<std::shared_ptr<const runtime::PodProjection>>& nsPods,
    double now) const {
  // Pods per workload, and how many are unavailable (not Ready, going away, or just evicted by
  // us while the cache still shows them Ready). A Deployment's desired replicas count too: a
  // pod evicted and not yet replaced is in no cache.
  const auto lookup = rsLookup();
  std::map<std::string, Avail> avail;
  for (const auto& pod : nsPods) {
    if (pod->phase == runtime::PodPhase::kSucceeded || pod->phase == runtime::PodPhase::kFailed)
      continue;
    auto& a = avail[workloadKey(workloadOf(*pod, lookup), pod->name.str())];
    ++a.pods;
    if (pod->ready && !pod->terminating && !d_.executor->recentlyTakenAway(pod->uid.str(), now)) {
      ++a.ready;
      a.readyUids.insert(pod->uid.str());
    }
  }
  if (d_.replicaSets) {
    for (const auto& rs : d_.replicaSets->list())
      if (rs->ns == p.ns && rs->ownerKind == "Deployment")
        avail["Deployment/" + rs->ownerName].desired += rs->replicas;
  }
  return avail;
}

PolicyReconciler::History PolicyReconciler::history(const PolicyObject& p) const {
  // What the caches know of this policy's escalations and restarts, from its incidents.
  History h;
  for (const auto& inc : d_.incidents->byIndex("policy", p.key())) {
    const std::string wk = workloadKey(*inc);
    if (!inc->workloadRevision.empty())
      h.leakingRevisions[wk + "/" + inc->resource].insert(inc->workloadRevision);
    const auto journal = actions::IncidentJournal::parse(inc->status);
    for (const auto& e : journal) {
      if (e.outcome != actions::Outcome::kStarted || !actions().traits(e.action).escalation)
        continue;
      // Every attempt spends budget and starts the cooldown, failed or not.
      h.policyActions[inc->name + "/" + e.step] = e.time;
      h.workloadActions[wk][inc->name + "/" + e.step] = e.time;
    }
    // Restarts: the attempts that may have taken the pod away, not the failed ones.
    const auto took =
        actions::effectiveAttempts(journal, actions(), &actions::ActionTraits::takesPodAway);
    h.restarts[wk].insert(h.restarts[wk].end(), took.begin(), took.end());
    if (inc->status.is_object() &&
        inc->status.value("after", "").find("restarted") != std::string::npos)
      h.restarts[wk].push_back(parseTime(inc->status, "resolved"));
  }
  return h;
}

Status PolicyReconciler::act(
    const PolicyObject& p, std::vector<Work> work,
    const std::vector<std::shared_ptr<const runtime::PodProjection>>& nsPods, double now) {
  const auto& spec = p.parsed.spec;
  if (work.empty() || spec.playbook.empty()) return okStatus();
  auto avail = availability(p, nsPods, now);
  auto hist = history(p);
  // Worst leaker first: the soonest exhaustion.
  std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    return a.finding.time + a.finding.exhaustionSeconds <
           b.finding.time + b.finding.exhaustionSeconds;
  });
  NodePressure pressure(*d_.api, std::any_of(spec.playbook.begin(), spec.playbook.end(),
                                             [](const policy::PlaybookStep& s) {
                                               return s.when.nodeMemoryPressure.has_value();
                                             }));
  const auto lookup = rsLookup();
  Status first = okStatus();
  for (const auto& w : work) {
    const runtime::PodProjection& pod = *w.pod;
    const Workload wl = workloadOf(pod, lookup);
    const std::string wk = workloadKey(wl, pod.name.str());
    auto& a = avail[wk];
    auto r = d_.executor->execute(incidentCase(p, w, wl, a, hist, pressure, now));
    if (!r) {
      LG_LOG(warn, "playbook not carried out",
             {{"policy", p.key()}, {"incident", w.incident}, {"error", r.error().message}});
      if (first.ok()) first = r.error();
      continue;
    }
    if (r->tookPodAway) {  // for the next incident of the same workload, now
      --a.ready;
      a.readyUids.erase(pod.uid.str());
    }
  }
  return first;
}

bool PolicyReconciler::NodePressure::of(const std::string& node) {
  if (!needed_ || node.empty()) return false;
  auto it = known_.find(node);
  if (it != known_.end()) return it->second;
  auto n = api_.get({.group = "",
                     .version = "v1",
                     .resource = "nodes",
                     .ns = "",
                     .name = node,
                     .subresource = ""});
  const bool p = n && actions::nodeUnderMemoryPressure(*n);
  known_[node] = p;
  return p;
}

actions::IncidentCase PolicyReconciler::incidentCase(const PolicyObject& p, const Work& w,
                                                     const Workload& wl, const Avail& a,
                                                     History& hist, NodePressure& pressure,
                                                     double now) const {
  const auto& spec = p.parsed.spec;
  const runtime::PodProjection& pod = *w.pod;
  const std::string wk = workloadKey(wl, pod.name.str());
  const int pods = std::max({a.pods, a.desired, 1});
  const int unavailable = std::max(a.pods - a.ready, a.desired - a.ready);
  actions::IncidentCase c;
  c.spec = &spec;
  c.policyKey = p.key();
  c.workloadKey = wk;
  c.target = actions::ActionTarget{.ns = p.ns,
                                   .podName = pod.name.str(),
                                   .podUid = pod.uid.str(),
                                   .node = pod.nodeName.str(),
                                   .container = w.container,
                                   .resource = std::string(detect::name(w.resource)),
                                   .workloadKind = wl.kind,
                                   .workloadName = wl.name,
                                   .workloadRevision = wl.revision,
                                   .incidentName = w.incident,
                                   .incidentUid = "",
                                   .policyName = p.name,
                                   .policyUid = p.uid,
                                   .summary = w.summary};
  c.plan = actions::PlanInput{
      .spec = &spec,
      .now = now,
      .exhaustionSeconds = std::max(0.0, w.finding.exhaustionSeconds - (now - w.finding.time)),
      .confidence = w.finding.confidence,
      .nodeMemoryPressure = pressure.of(pod.nodeName.str()),
      .restartTimes = hist.restarts[wk],
      .journal = {},
      .workloadPods = pods,
      .workloadUnavailable = std::max(0, unavailable),
      .policyActionTimes = {},
      .workloadActionTimes = {},
      .globalRateAllows = true};
  c.policyActions = hist.policyActions;
  c.workloadActions = hist.workloadActions[wk];
  c.leakingRevisions = hist.leakingRevisions[wk + "/" + std::string(detect::name(w.resource))];
  c.workloadReadyPods = a.readyUids;
  if (auto cached = d_.incidents->get(p.ns + "/" + w.incident))
    c.cachedJournal = actions::IncidentJournal::parse(cached->status);
  return c;
}

nlohmann::json PolicyReconciler::lastAction(const PolicyObject& p) const {
  // The newest finished action of the policy's incidents (what `kubectl get lp` shows): not
  // Started (under way) and not Skipped (nothing happened).
  nlohmann::json best;
  double bestTime = -1;
  for (const auto& inc : d_.incidents->byIndex("policy", p.key())) {
    for (const auto& e : actions::IncidentJournal::parse(inc->status)) {
      if (e.outcome != actions::Outcome::kSucceeded && e.outcome != actions::Outcome::kFailed &&
          e.outcome != actions::Outcome::kObserved)
        continue;
      if (e.time < bestTime) continue;
      bestTime = e.time;
      std::string summary = e.action + " " + inc->podName;
      if (e.outcome == actions::Outcome::kObserved) summary += " (observed)";
      if (e.outcome == actions::Outcome::kFailed) summary += " (failed)";
      best = {{"time", isoTime(e.time)},
              {"action", e.action},
              {"pod", inc->podName},
              {"outcome", std::string(actions::name(e.outcome))},
              {"summary", summary}};
    }
  }
  return best;
}

PolicyReconciler::Sizes PolicyReconciler::sizing(
    const PolicyObject& p, const std::vector<const runtime::PodProjection*>& covered, double now) {
  constexpr std::size_t kMaxItems = 100;
  const auto& spec = p.parsed.spec.recommendations;
  // Sizes come from the memory series the policy has the hub keep.
  if (!d_.hub || !p.parsed.usable() || !spec.enabled ||
      !p.parsed.spec.watches(detect::Resource::kMemory)) {
    if (d_.gauges) d_.gauges->recordSizing(p.ns, p.name, {});
    return {};
  }
  // The leaks the open incidents know of (a restarted container has no finding yet).
  KnownLeaks leaks;
  if (d_.incidents) {
    for (const auto& inc : d_.incidents->byIndex("policy", p.key())) {
      if ((inc->state != "Open" && inc->state != "Mitigating") || inc->resource != "memory")
        continue;
      auto& rate = leaks[{workloadKey(*inc), inc->container}];
      rate = std::max(rate, actions::numberAt(inc->status, "/evidence/ratePerSecond").value_or(0));
    }
  }
  // Sizes move slowly: recomputed every quarter of minHistory (a minute to 15 minutes), and at
  // once when the policy or the leaks change.
  const double every = std::clamp(spec.minHistorySeconds / 4, 60.0, 900.0);
  {
    std::lock_guard lock(sizedMu_);
    auto it = sized_.find(p.key());
    if (it != sized_.end() && it->second.generation == p.generation && it->second.leaks == leaks &&
        now - it->second.at < every && now >= it->second.at)
      return it->second.sizes;
  }
  const auto opts = sizingOptions(spec);
  const auto advice = adviseSizing(covered, rsLookup(), *d_.hub, leaks, opts, now, p.parsed.spec);
  Sizes sizes{.enabled = true,
              .items = sizingStatus(advice, opts, kMaxItems),
              .omitted = advice.size() > kMaxItems ? advice.size() - kMaxItems : 0};
  if (d_.gauges) {
    std::vector<PolicyGauges::Sizing> sizes;
    for (const auto& w : advice)
      if (!w.leaking && w.recommendation.ok)
        sizes.push_back({.workload = w.workload,
                         .container = w.container,
                         .requestBytes = w.recommendation.requestBytes,
                         .limitBytes = w.recommendation.limitBytes});
    d_.gauges->recordSizing(p.ns, p.name, sizes);
  }
  std::lock_guard lock(sizedMu_);
  sized_[p.key()] = {.at = now, .generation = p.generation, .leaks = leaks, .sizes = sizes};
  return sizes;
}

Status PolicyReconciler::writeStatus(const PolicyObject& p, const Counts& counts,
                                     const Sizes& sizes, double now) {
  const std::string nowText = isoTime(now);
  const auto& spec = p.parsed.spec;
  nlohmann::json conditions = nlohmann::json::array();
  if (p.parsed.usable()) {
    const std::string mode = spec.mode == policy::Mode::kEnforce ? "Enforce" : "Observe";
    conditions.push_back(condition(p.status, "Ready", true, "Watching",
                                   "watching " + std::to_string(counts.matched) + " pod" +
                                       (counts.matched == 1 ? "" : "s") + " (" +
                                       resourcesText(spec) + ") in " + mode + " mode",
                                   p.generation, nowText));
  } else {
    conditions.push_back(condition(p.status, "Ready", false, "InvalidSpec", p.parsed.summary(),
                                   p.generation, nowText));
  }
  if (d_.metricsStatus) {
    const auto ms = d_.metricsStatus();
    if (ms.everPolled) {
      conditions.push_back(condition(
          p.status, "MetricsAvailable", ms.available,
          ms.available ? "MetricsServerUp" : "MetricsAPIUnavailable",
          ms.available ? "metrics.k8s.io answers; " + std::to_string(ms.lastSamples) +
                             " container samples in the last poll"
                       : ms.message + "; detection continues with node agent samples only",
          p.generation, nowText));
    }
  }
  nlohmann::json status = p.status.is_object() ? p.status : nlohmann::json::object();
  nlohmann::json desired = status;
  desired["observedGeneration"] = p.generation;
  desired["matchedPods"] = counts.matched;
  desired["leakingPods"] = counts.leaking;
  desired["conditions"] = conditions;
  if (auto last = lastAction(p); !last.is_null()) desired["lastAction"] = last;
  // A merge patch removes a field with a null: only for one that is there.
  const auto set = [&](const char* key, nlohmann::json value) {
    if (!value.is_null() || status.contains(key)) desired[key] = std::move(value);
  };
  set("recommendations", sizes.enabled ? sizes.items : nlohmann::json());
  set("recommendationsOmitted", sizes.omitted > 0 ? nlohmann::json(sizes.omitted) : nullptr);
  if (desired == status) return okStatus();

  const bool wasReady = [&] {
    if (!status.contains("conditions")) return true;  // first write: no transition event
    for (const auto& c : status["conditions"])
      if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
    return true;
  }();
  const kube::ResourceRef ref = policy::leakPoliciesRef(p.ns, p.name, "status");
  auto r = d_.api->patch(ref, kube::PatchType::kMerge, {{"status", desired}});
  if (!r) return r.error();
  if (d_.events && wasReady != p.parsed.usable()) {
    (void)d_.events->record(
        {.apiVersion = "leakguard.io/v1alpha1",
         .kind = "LeakPolicy",
         .ns = p.ns,
         .name = p.name,
         .uid = p.uid,
         .fieldPath = ""},
        p.parsed.usable() ? kube::EventType::kNormal : kube::EventType::kWarning,
        p.parsed.usable() ? "PolicyReady" : "InvalidPolicy", "Validate",
        p.parsed.usable() ? "policy is valid again" : p.parsed.summary());
  }
  return okStatus();
}

}  // namespace lg::reconcile
