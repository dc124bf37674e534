#include "operator/cli/explain_command.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <ostream>
#include <sstream>

#include "controllers/actions/action_support.h"
#include "controllers/policy/api_resources.h"
#include "controllers/policy/duration.h"
#include "controllers/reconcile/incident_builder.h"
#include "operator/cli/cluster_session.h"
#include "operator/cli/text_table.h"
#include "operator/cli/usage_chart.h"
#include "operator/kube/quantity.h"
#include "operator/kube/rfc3339.h"

namespace lg::cli {
namespace {

using actions::numberAt;
using actions::stringAt;

double epochSeconds(const std::string& rfc3339) {
  if (rfc3339.empty()) return 0;
  auto t = kube::parseRfc3339(rfc3339);
  if (!t) return 0;
  return std::chrono::duration<double>(t->time_since_epoch()).count();
}

// "14:07:30" (UTC), or "" for 0. Times past year 9999 (what a malformed incident or the chart's
// edge can give) are "?": converting them to time_t would overflow.
std::string clock(double t, bool seconds = true) {
  if (t <= 0) return "";
  if (!(t < 253402300800.0)) return "?";
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, seconds ? "%H:%M:%S" : "%H:%M", &tm);
  return buf;
}

// "14:07:30 UTC (12m ago)" / "(in 5m)".
std::string when(double t, double now) {
  if (t <= 0) return "";
  const double d = now - t;
  const std::string rel =
      d >= 0 ? policy::formatDuration(d) + " ago" : "in " + policy::formatDuration(-d);
  return clock(t) + " UTC (" + rel + ")";
}

std::string growthWords(const std::string& model) {
  if (model == "linear") return "a steady, linear rise";
  if (model == "flat-then-linear") return "flat at first, then a linear rise";
  if (model == "linear-under-daily-cycle") return "a linear rise under a daily cycle";
  if (model == "dies-each-life") return "as in its lives before, which each ended at the line";
  return model;
}

std::string benignWords(const std::string& model) {
  if (model == "flat") return "a flat level with noise";
  if (model == "level-shift") return "a one-off step up to a new level";
  if (model == "warm-up-plateau") return "a warm-up levelling off below the limit";
  if (model == "daily-cycle") return "a daily cycle peaking below the limit";
  return model;
}

std::string resourceWord(const std::string& r) {
  if (r == "fds") return "Open file descriptors";
  if (r == "threads") return "Threads";
  return "Memory";
}

// The sentences of the evidence, one per line.
std::vector<std::string> evidenceSentences(const nlohmann::json& inc, double now) {
  std::vector<std::string> out;
  const std::string rate = stringAt(inc, "/status/evidence/rate");
  if (rate.empty()) {
    out.push_back("The incident records no evidence yet.");
    return out;
  }
  std::string s = resourceWord(stringAt(inc, "/spec/resource"));
  if (const auto signal = stringAt(inc, "/status/evidence/signal"); !signal.empty())
    s += " (" + signal + ")";
  s += " grew at " + rate;
  if (const auto iv = stringAt(inc, "/status/evidence/rateInterval"); !iv.empty())
    s += iv.ends_with(" over its lives") ? " (" + iv + ")" : " (90% interval " + iv + ")";
  if (const auto g = stringAt(inc, "/status/evidence/growthModel"); !g.empty())
    s += ", " + growthWords(g);
  const double first = epochSeconds(stringAt(inc, "/status/firstSuspected"));
  const double confirmed = epochSeconds(stringAt(inc, "/status/confirmed"));
  if (first > 0 && confirmed > first) s += ", for " + policy::formatDuration(confirmed - first);
  out.push_back(s + ".");

  if (const auto b = stringAt(inc, "/status/evidence/rejectedExplanation"); !b.empty()) {
    std::string r = "The likeliest harmless explanation, " + benignWords(b) + ", was rejected";
    if (const auto c = numberAt(inc, "/status/evidence/confidence")) {
      std::ostringstream conf;
      conf.precision(3);
      conf << std::fixed << *c;
      r += " with confidence " + conf.str();
    }
    if (const auto w = stringAt(inc, "/status/evidence/window"); !w.empty())
      r += " over " + w + " of history";
    out.push_back(r + ".");
  }
  if (const auto lives = stringAt(inc, "/status/evidence/lives"); !lives.empty())
    out.push_back("It " + lives + ".");

  const std::string value = stringAt(inc, "/status/evidence/value");
  const std::string limit = stringAt(inc, "/status/evidence/limit");
  const double at = epochSeconds(stringAt(inc, "/status/evidence/exhaustionAt"));
  const std::string iv = stringAt(inc, "/status/evidence/exhaustionInterval");
  // The line is the limit, or the runtime's heap cap when it dies before it.
  const std::string lineText = stringAt(inc, "/status/evidence/line");
  const std::string line = reconcile::reachedWhat({{"line", lineText}});
  std::string f = value.empty()      ? "At that rate"
                  : lineText.empty() ? "At " + value + " of its " + limit + " limit"
                                     : "At " + value + ", with " + lineText + " (" + limit + ")";
  if (at > 0 && at >= now) {
    f += ", it reaches the " + line + " at " + clock(at, false) + " UTC, in " +
         policy::formatDuration(at - now);
  } else if (at > 0) {
    f += ", it was forecast to reach the " + line + " at " + clock(at, false) + " UTC, " +
         policy::formatDuration(now - at) + " ago";
  } else {
    f += ", it reaches the " + line + " " + stringAt(inc, "/status/evidence/exhaustion");
  }
  // The interval as times of day, when the fit says where the fan meets the limit (a narrow one
  // would read "in 21m to 21m" as durations); else as recorded, from the confirmation.
  const auto fitTime = epochSeconds(stringAt(inc, "/status/usage/fit/time"));
  const auto limitValue = numberAt(inc, "/status/usage/limit");
  const auto fitValue = numberAt(inc, "/status/usage/fit/value");
  const auto low = numberAt(inc, "/status/usage/fit/ratePerSecondLow");
  const auto high = numberAt(inc, "/status/usage/fit/ratePerSecondHigh");
  if (fitTime > 0 && limitValue && fitValue && low && high && *low > 0 && *high > 0 &&
      *limitValue > *fitValue) {
    const double early = fitTime + (*limitValue - *fitValue) / *high;
    const double late = fitTime + (*limitValue - *fitValue) / *low;
    f += " (90% interval: " + clock(early) + " to " +
         (late - early < 86400 ? clock(late) : "more than a day later") + " UTC)";
  } else if (!iv.empty()) {
    f += " (90% interval: " + iv + " after confirmation)";
  }
  out.push_back(f + ".");
  if (stringAt(inc, "/status/lastAction") == "observe")
    out.push_back("The policy is in Observe mode: LeakGuard records the leak and does not act.");
  return out;
}

// The chart of status.usage, or a line saying there is none.
std::vector<std::string> chart(const nlohmann::json& inc, const ExplainFlags& flags) {
  const nlohmann::json usage = [&] {
    try {
      const nlohmann::json::json_pointer p("/status/usage");
      return inc.contains(p) && inc.at(p).is_object() ? inc.at(p) : nlohmann::json();
    } catch (const std::exception&) {
      return nlohmann::json();
    }
  }();
  const double start = epochSeconds(stringAt(usage, "/start"));
  if (usage.is_null() || start <= 0 || !usage.contains("points") || !usage["points"].is_array() ||
      usage["points"].empty())
    return {"(no usage history in the incident: it was opened by a LeakGuard that kept none)"};
  UsageChartInput in;
  for (const auto& p : usage["points"]) {
    const auto t = numberAt(p, "/t");
    const auto lo = numberAt(p, "/min");
    const auto hi = numberAt(p, "/max");
    if (t && lo && hi) in.points.push_back({start + *t, *lo, *hi});
  }
  in.limit = numberAt(usage, "/limit").value_or(0);
  in.fitTime = epochSeconds(stringAt(usage, "/fit/time"));
  in.fitValue = numberAt(usage, "/fit/value").value_or(0);
  in.rate = numberAt(usage, "/fit/ratePerSecond").value_or(0);
  in.rateLow = numberAt(usage, "/fit/ratePerSecondLow").value_or(0);
  in.rateHigh = numberAt(usage, "/fit/ratePerSecondHigh").value_or(0);
  if (in.fitTime <= 0) in.rate = 0;
  const bool bytes = stringAt(usage, "/unit") == "bytes";
  in.formatValue = [bytes](double v) {
    if (bytes) return kube::formatBytes(v);
    std::ostringstream o;
    o << std::llround(v);
    return o.str();
  };
  in.formatTime = [](double t) { return clock(t, false); };
  in.width = flags.width;
  in.color = flags.color;
  return renderUsageChart(in);
}

nlohmann::json arrayAt(const nlohmann::json& j, const char* pointer) {
  try {
    const nlohmann::json::json_pointer p(pointer);
    if (j.contains(p) && j.at(p).is_array()) return j.at(p);
  } catch (const std::exception&) {
  }
  return nlohmann::json::array();
}

}  // namespace

std::string formatExplain(const nlohmann::json& inc, double now, const ExplainFlags& flags) {
  const std::string ns = stringAt(inc, "/metadata/namespace");
  const std::string name = stringAt(inc, "/metadata/name");
  const auto sentences = evidenceSentences(inc, now);
  if (flags.output == "json" || flags.output == "yaml") {
    nlohmann::json j = {{"namespace", ns},
                        {"incident", name},
                        {"pod", stringAt(inc, "/spec/pod/name")},
                        {"container", stringAt(inc, "/spec/container")},
                        {"resource", stringAt(inc, "/spec/resource")},
                        {"state", stringAt(inc, "/status/state")},
                        {"explanation", sentences},
                        {"evidence", inc.contains("status") && inc["status"].is_object()
                                         ? inc["status"].value("evidence", nlohmann::json())
                                         : nlohmann::json()},
                        {"usage", inc.contains("status") && inc["status"].is_object()
                                      ? inc["status"].value("usage", nlohmann::json())
                                      : nlohmann::json()},
                        {"actions", arrayAt(inc, "/status/actions")}};
    return formatDocument(j, flags.output);
  }

  std::ostringstream o;
  const std::string bold = flags.color ? "\x1b[1m" : "", reset = flags.color ? "\x1b[0m" : "";
  o << bold << "LeakIncident " << ns << "/" << name << reset;
  if (const auto p = stringAt(inc, "/spec/policy"); !p.empty()) o << "  (policy " << p << ")";
  o << "\n";
  std::vector<std::vector<std::string>> facts;
  std::string pod = stringAt(inc, "/spec/pod/name");
  if (const auto c = stringAt(inc, "/spec/container"); !c.empty()) pod += ", container " + c;
  if (const auto n = stringAt(inc, "/spec/pod/node"); !n.empty()) pod += ", on node " + n;
  facts.push_back({"  pod", pod});
  if (const auto k = stringAt(inc, "/spec/workload/kind"); !k.empty()) {
    std::string w = k + "/" + stringAt(inc, "/spec/workload/name");
    if (const auto r = stringAt(inc, "/spec/workload/revision"); !r.empty())
      w += " (revision " + r + ")";
    facts.push_back({"  workload", w});
  }
  std::string state = stringAt(inc, "/status/state");
  if (state.empty()) state = "-";
  if (const double c = epochSeconds(stringAt(inc, "/status/confirmed")); c > 0)
    state += ", confirmed " + when(c, now);
  if (const double r = epochSeconds(stringAt(inc, "/status/resolved")); r > 0)
    state += ", closed " + when(r, now);
  facts.push_back({"  state", state});
  for (const auto& f : facts)
    o << f[0] << std::string(12 - f[0].size(), ' ') << f[1] << "\n";
  o << "\n";
  for (const auto& s : sentences)
    o << s << "\n";
  o << "\n";
  for (const auto& line : chart(inc, flags))
    o << line << "\n";

  const auto acts = arrayAt(inc, "/status/actions");
  if (!acts.empty()) {
    o << "\nWhat the playbook did:\n";
    std::vector<std::vector<std::string>> cells{{"  TIME", "STEP", "ACTION", "OUTCOME", "MESSAGE"}};
    for (const auto& a : acts) {
      std::vector<std::string> row{"  " + clock(epochSeconds(stringAt(a, "/time")))};
      for (const char* k : {"/step", "/action", "/outcome", "/message"})
        row.push_back(stringAt(a, k));
      for (auto& c : row)
        if (c.empty() || c == "  ") c = c + "-";
      cells.push_back(std::move(row));
    }
    o << textTable(cells);
  }
  const auto diags = arrayAt(inc, "/status/diagnostics");
  if (!diags.empty()) {
    o << "\nDiagnostics captured:\n";
    for (const auto& d : diags) {
      o << "  " << clock(epochSeconds(stringAt(d, "/time"))) << "  " << stringAt(d, "/source");
      if (const auto k = stringAt(d, "/keptIn"); !k.empty()) o << " -> " << k;
      if (const auto b = numberAt(d, "/bytes")) o << " (" << kube::formatBytes(*b) << ")";
      if (const auto out = stringAt(d, "/outcome"); !out.empty()) o << ": " << out;
      o << "\n";
    }
  }
  if (const auto after = stringAt(inc, "/status/after"); !after.empty())
    o << "\nAfterwards: " << after << "\n";
  return o.str();
}

int runExplain(const ExplainFlags& flags, kube::ApiClient& api, const std::string& ns,
               const std::string& name, double now, std::ostream& out, std::ostream& err) {
  const kube::ResourceRef ref = policy::leakIncidentsRef(ns, name);
  auto inc = api.get(ref);
  if (!inc) {
    if (inc.error().code == 404) {
      err << "leakguard explain: no LeakIncident " << name << " in namespace " << ns
          << " (kubectl get leakincidents -n " << ns << " lists them)\n";
    } else {
      err << "leakguard explain: cannot get leakincident " << ns << "/" << name << ": "
          << inc.error().message << "\n";
    }
    return 1;
  }
  out << formatExplain(*inc, now, flags);
  return 0;
}

int runExplain(const ExplainFlags& flags, const std::string& name, std::ostream& out,
               std::ostream& err) {
  return withCluster("explain", flags.kubeconfig, flags.context, flags.ns, err, [&](auto& s) {
    return runExplain(flags, *s.api, s.ns, name, wallSeconds(), out, err);
  });
}

}  // namespace lg::cli
