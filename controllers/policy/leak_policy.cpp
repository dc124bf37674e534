#include "controllers/policy/leak_policy.h"

#include <algorithm>
#include <array>

namespace lg::policy {
namespace {

// The name of a step written without one: its action and a hash of everything it says but the
// name (canonical: nlohmann dumps object keys sorted), "restart-3f9a1c". It survives steps
// inserted or removed around it, so the journal of an incident keeps meaning the same step;
// editing the step makes it another step.
std::string defaultStepName(const nlohmann::json& j, std::string_view action) {
  nlohmann::json rest = j;
  rest.erase("name");
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : rest.dump()) {
    h ^= c;
    h *= 16777619u;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(action);
  out += '-';
  for (int shift = 20; shift >= 0; shift -= 4)
    out += kHex[(h >> shift) & 0xF];
  return out;
}

void parseStep(const nlohmann::json& j, std::size_t index, const ActionCatalog& actions,
               LeakPolicySpec& spec, std::vector<ValidationIssue>& issues) {
  const std::string path = "spec.playbook[" + std::to_string(index) + "]";
  FieldReader r(j, path, issues);
  if (!j.is_object()) {
    issues.push_back({path, "must be an object"});
    return;
  }
  PlaybookStep step;
  const auto written = r.string("name");
  const auto action = r.string("action");
  if (!action) {
    issues.push_back({path + ".action", "required"});
    return;
  }
  if (!actions.knows(*action)) {
    auto why = actions.notEnabled(*action);
    issues.push_back({path + ".action", !why.empty() ? std::move(why)
                                                     : "unknown action \"" + *action +
                                                           "\"; one of " + actions.known()});
    return;
  }
  step.name = written ? *written : defaultStepName(j, *action);
  step.action = *action;
  if (const auto* dr = r.get("dryRun")) {
    if (dr->is_boolean()) {
      step.dryRun = dr->get<bool>();
    } else {
      r.issue(r.at("dryRun"), "must be true or false");
    }
  }

  if (const auto* w = r.get("when")) {
    FieldReader c(*w, path + ".when", issues);
    step.when.exhaustionWithinSeconds = c.duration("exhaustionWithin");
    step.when.confidenceAtLeast =
        c.number("confidenceAtLeast", schema::kPlaybookWhenConfidenceAtLeastMinimum,
                 schema::kPlaybookWhenConfidenceAtLeastMaximum);
    step.when.restartsAtLeast =
        c.integer("restartsAtLeast", schema::kPlaybookWhenRestartsAtLeastMinimum,
                  schema::kPlaybookWhenRestartsAtLeastMaximum);
    step.when.withinSeconds = c.duration("within");
    if (const auto* p = c.get("nodeMemoryPressure")) {
      if (p->is_boolean()) {
        step.when.nodeMemoryPressure = p->get<bool>();
      } else {
        c.issue(c.at("nodeMemoryPressure"), "must be true or false");
      }
    }
    if (step.when.restartsAtLeast && !step.when.withinSeconds)
      c.issue(c.at("restartsAtLeast"), "needs within (the window the restarts are counted in)");
  }

  if (const auto* params = r.get("params")) {
    if (params->is_object()) {
      step.params = *params;
    } else {
      r.issue(r.at("params"), "must be an object");
    }
  }
  actions.checkParams(step.action, FieldReader(step.params, path + ".params", issues));
  spec.playbook.push_back(std::move(step));
}

}  // namespace

bool LeakPolicySpec::watches(detect::Resource r) const {
  return std::find(resources.begin(), resources.end(), r) != resources.end();
}

bool LeakPolicySpec::watchesContainer(const std::string& container) const {
  return containers.empty() ||
         std::find(containers.begin(), containers.end(), container) != containers.end();
}

std::string ParsedPolicy::summary() const {
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) out += "; ";
    out += i.field + ": " + i.message;
  }
  return out;
}

namespace {

// spec.selector or spec.workloadRef: exactly one of them.
void readTarget(FieldReader& r, LeakPolicySpec& spec, std::vector<ValidationIssue>& issues) {
  if (const auto* sel = r.get("selector")) {
    auto s = LabelSelector::parse(*sel);
    if (!s) {
      issues.push_back({"spec.selector", s.error().message});
    } else if (s->empty()) {
      issues.push_back({"spec.selector",
                        "an empty selector would match every pod of the namespace; name the pods"});
    } else {
      spec.selector = std::move(*s);
    }
  }
  if (const auto* w = r.get("workloadRef")) {
    FieldReader wr(*w, "spec.workloadRef", issues);
    WorkloadRef ref{wr.string("kind").value_or(""), wr.string("name").value_or("")};
    const auto& kinds = schema::kWorkloadRefKindEnum;
    if (std::find(kinds.begin(), kinds.end(), ref.kind) == kinds.end()) {
      issues.push_back(
          {"spec.workloadRef.kind",
           "must be Deployment, StatefulSet, DaemonSet or ReplicaSet, got \"" + ref.kind + "\""});
    } else if (ref.name.empty()) {
      issues.push_back({"spec.workloadRef.name", "required"});
    } else {
      spec.workloadRef = ref;
    }
  }
  if (r.get("selector") && r.get("workloadRef")) {
    issues.push_back({"spec", "set exactly one of selector and workloadRef"});
  } else if (!r.get("selector") && !r.get("workloadRef")) {
    issues.push_back({"spec", "set exactly one of selector and workloadRef"});
  }
}

// spec.resources: memory, fds, threads, each once; memory when none is usable.
void readResources(FieldReader& r, LeakPolicySpec& spec, std::vector<ValidationIssue>& issues) {
  if (const auto* res = r.get("resources")) {
    if (!res->is_array() || res->empty()) {
      issues.push_back({"spec.resources", "must be a non-empty list of memory, fds, threads"});
    } else {
      spec.resources.clear();
      for (std::size_t i = 0; i < res->size(); ++i) {
        const auto& x = (*res)[i];
        auto parsed = x.is_string() ? detect::parseResource(x.get<std::string>()) : std::nullopt;
        if (!parsed) {
          issues.push_back(
              {"spec.resources[" + std::to_string(i) + "]", "must be memory, fds or threads"});
        } else if (!spec.watches(*parsed)) {
          spec.resources.push_back(*parsed);
        }
      }
      if (spec.resources.empty()) spec.resources.push_back(detect::Resource::kMemory);
    }
  }
}

// spec.playbook: its steps (parseStep), whose names must be unique.
void readPlaybook(FieldReader& r, const ActionCatalog& actions, LeakPolicySpec& spec,
                  std::vector<ValidationIssue>& issues) {
  if (const auto* pb = r.get("playbook")) {
    if (!pb->is_array()) {
      issues.push_back({"spec.playbook", "must be a list of steps"});
    } else {
      for (std::size_t i = 0; i < pb->size(); ++i)
        parseStep((*pb)[i], i, actions, spec, issues);
      // A step's name is its identity in every incident's journal: two steps of one name would
      // share one history.
      for (std::size_t i = 0; i < spec.playbook.size(); ++i)
        for (std::size_t k = 0; k < i; ++k)
          if (spec.playbook[i].name == spec.playbook[k].name) {
            issues.push_back({"spec.playbook", "two steps are named \"" + spec.playbook[i].name +
                                                   "\" (step names must be unique; a step "
                                                   "without a name repeats another)"});
            break;
          }
    }
  }
}

// spec.budgets.maxUnavailable: a count of at least 1 or a percentage.
void readMaxUnavailable(const nlohmann::json& mu, LeakPolicySpec& spec,
                        std::vector<ValidationIssue>& issues) {
  if (mu.is_number_integer() && mu.get<int64_t>() >= 1 && mu.get<int64_t>() <= 100000) {
    spec.budgets.maxUnavailable = static_cast<int>(mu.get<int64_t>());
  } else if (mu.is_string() && !mu.get<std::string>().empty() &&
             mu.get<std::string>().back() == '%') {
    const std::string s = mu.get<std::string>();
    int pct = 0;
    try {
      std::size_t used = 0;
      pct = std::stoi(s.substr(0, s.size() - 1), &used);
      if (used != s.size() - 1) pct = 0;
    } catch (...) {
      pct = 0;
    }
    if (pct >= 1 && pct <= 100) {
      spec.budgets.maxUnavailablePercent = pct;
    } else {
      issues.push_back({"spec.budgets.maxUnavailable",
                        "must be a count of at least 1 or a percentage such as 25%"});
    }
  } else {
    issues.push_back({"spec.budgets.maxUnavailable",
                      "must be a count of at least 1 or a percentage such as 25%"});
  }
}

// spec.budgets: maxUnavailable, maxActionsPerHour, cooldown.
void readBudgets(FieldReader& r, LeakPolicySpec& spec, std::vector<ValidationIssue>& issues) {
  if (const auto* b = r.get("budgets")) {
    FieldReader br(*b, "spec.budgets", issues);
    if (const auto* mu = br.get("maxUnavailable")) readMaxUnavailable(*mu, spec, issues);
    if (auto a = br.integer("maxActionsPerHour", schema::kBudgetsMaxActionsPerHourMinimum,
                            schema::kBudgetsMaxActionsPerHourMaximum))
      spec.budgets.maxActionsPerHour = *a;
    if (auto c = br.duration("cooldown")) spec.budgets.cooldownSeconds = *c;
  }
}

// spec.recommendations: how the policy sizes memory.
void readRecommendations(FieldReader& r, LeakPolicySpec& spec,
                         std::vector<ValidationIssue>& issues) {
  if (const auto* rec = r.get("recommendations")) {
    FieldReader rr(*rec, "spec.recommendations", issues);
    if (const auto* e = rr.get("enabled")) {
      if (e->is_boolean())
        spec.recommendations.enabled = e->get<bool>();
      else
        issues.push_back({"spec.recommendations.enabled", "must be true or false"});
    }
    if (auto q = rr.integer("requestQuantile", schema::kRecommendationsRequestQuantileMinimum,
                            schema::kRecommendationsRequestQuantileMaximum))
      spec.recommendations.requestQuantile = *q;
    if (auto h = rr.integer("headroomPercent", schema::kRecommendationsHeadroomPercentMinimum,
                            schema::kRecommendationsHeadroomPercentMaximum))
      spec.recommendations.headroomPercent = *h;
    if (auto m = rr.duration("minHistory")) {
      // The hub keeps 6 hours of usage: a longer minHistory would never be met.
      if (*m > schema::kRecommendationsMinHistoryMaximumSeconds)
        rr.issue(rr.at("minHistory"), "must be at most 6h (the usage LeakGuard keeps)");
      else
        spec.recommendations.minHistorySeconds = *m;
    }
  }
}

}  // namespace

ParsedPolicy parseLeakPolicy(const nlohmann::json& object, const ActionCatalog& actions) {
  ParsedPolicy out;
  auto& issues = out.issues;
  auto& spec = out.spec;
  const nlohmann::json* specJson = nullptr;
  if (object.is_object()) {
    auto it = object.find("spec");
    if (it != object.end() && it->is_object()) specJson = &*it;
  }
  if (!specJson) {
    issues.push_back({"spec", "required"});
    return out;
  }
  FieldReader r(*specJson, "spec", issues);
  // The policy's name labels its incidents (leakguard.io/policy): a label value.
  if (auto md = object.find("metadata"); md != object.end() && md->is_object()) {
    if (auto name = md->find("name");
        name != md->end() && name->is_string() && name->get<std::string>().size() > 63)
      issues.push_back({"metadata.name",
                        "must be at most 63 characters (it labels the policy's incidents), got " +
                            std::to_string(name->get<std::string>().size())});
  }

  readTarget(r, spec, issues);

  if (const auto* c = r.get("containers")) {
    if (!c->is_array()) {
      issues.push_back({"spec.containers", "must be a list of container names"});
    } else {
      for (const auto& x : *c)
        if (x.is_string()) spec.containers.push_back(x.get<std::string>());
    }
  }

  if (auto m = r.string("mode")) {
    if (*m == "Observe") {
      spec.mode = Mode::kObserve;
    } else if (*m == "Enforce") {
      spec.mode = Mode::kEnforce;
    } else {
      issues.push_back({"spec.mode", "must be Observe or Enforce, got \"" + *m + "\""});
    }
  }

  readResources(r, spec, issues);

  if (const auto* d = r.get("detection")) {
    FieldReader dr(*d, "spec.detection", issues);
    if (auto m =
            dr.number("margin", schema::kDetectionMarginMinimum, schema::kDetectionMarginMaximum))
      spec.detection.margin = *m;
    if (auto h = dr.duration("horizon")) spec.detection.horizonSeconds = *h;
    if (auto g = dr.duration("minGrowth")) spec.detection.minGrowthSeconds = *g;
  }

  readPlaybook(r, actions, spec, issues);
  readBudgets(r, spec, issues);

  if (const auto* inc = r.get("incidents")) {
    FieldReader ir(*inc, "spec.incidents", issues);
    if (auto k = ir.integer("keep", schema::kIncidentsKeepMinimum, schema::kIncidentsKeepMaximum))
      spec.keepIncidents = *k;
  }

  readRecommendations(r, spec, issues);
  return out;
}

}  // namespace lg::policy
