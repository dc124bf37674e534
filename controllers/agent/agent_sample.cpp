#include "controllers/agent/agent_sample.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace lg::agent {
namespace {

using U64 = std::optional<std::uint64_t>;

// One table drives writing and reading the memory fields.
constexpr std::array<std::pair<const char*, U64 MemoryStats::*>, 16> kMemoryFields{{
    {"usage", &MemoryStats::usage},
    {"workingSet", &MemoryStats::workingSet},
    {"anon", &MemoryStats::anon},
    {"file", &MemoryStats::file},
    {"shmem", &MemoryStats::shmem},
    {"inactiveFile", &MemoryStats::inactiveFile},
    {"activeFile", &MemoryStats::activeFile},
    {"mappedFile", &MemoryStats::mappedFile},
    {"kernel", &MemoryStats::kernel},
    {"limit", &MemoryStats::limit},
    {"hierarchicalLimit", &MemoryStats::hierarchicalLimit},
    {"failcnt", &MemoryStats::failcnt},
    {"maxEvents", &MemoryStats::maxEvents},
    {"highEvents", &MemoryStats::highEvents},
    {"oomEvents", &MemoryStats::oomEvents},
    {"oomKill", &MemoryStats::oomKill},
}};

constexpr std::array<std::pair<const char*, U64 ProcessStats::*>, 5> kProcessFields{{
    {"count", &ProcessStats::processes},
    {"threads", &ProcessStats::threads},
    {"fdsTotal", &ProcessStats::fdsTotal},
    {"fdsMax", &ProcessStats::fdsMax},
    {"fdsSoftLimit", &ProcessStats::fdsSoftLimit},
}};

void appendUint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void appendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void appendDouble(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void key(std::string& out, const char* k, bool& first) {
  if (!first) out += ',';
  first = false;
  out += '"';
  out += k;
  out += "\":";
}

void field(std::string& out, const char* k, const U64& v, bool& first) {
  key(out, k, first);
  if (v) {
    appendUint(out, *v);
  } else {
    out += "null";
  }
}

void appendPressureLine(std::string& out, const std::optional<PressureLine>& p) {
  if (!p) {
    out += "null";
    return;
  }
  out += "{\"avg10\":";
  appendDouble(out, p->avg10);
  out += ",\"avg60\":";
  appendDouble(out, p->avg60);
  out += ",\"avg300\":";
  appendDouble(out, p->avg300);
  out += ",\"total\":";
  appendUint(out, p->totalUs);
  out += '}';
}

// Length of a valid UTF-8 sequence starting at s[i], 0 if invalid.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

U64 optUint(const nlohmann::json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_unsigned()) {
    if (it != j.end() && it->is_number_integer() && it->get<std::int64_t>() >= 0)
      return it->get<std::uint64_t>();
    return std::nullopt;
  }
  return it->get<std::uint64_t>();
}

std::optional<PressureLine> pressureFromJson(const nlohmann::json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  PressureLine p;
  p.avg10 = it->value("avg10", 0.0);
  p.avg60 = it->value("avg60", 0.0);
  p.avg300 = it->value("avg300", 0.0);
  p.totalUs = optUint(*it, "total").value_or(0);
  return p;
}

std::string str(const nlohmann::json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void appendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c >= 0x80) {
      const std::size_t n = utf8Length(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

void appendCgroupFields(std::string& out, const CgroupSample& s) {
  out += "\"cgroupVersion\":";
  appendInt(out, s.version);
  out += ",\"cgroup\":";
  appendJsonString(out, s.cgroup);
  out += ",\"memory\":{";
  bool first = true;
  for (const auto& [name, member] : kMemoryFields)
    field(out, name, s.memory.*member, first);
  key(out, "underOom", first);
  out += s.memory.underOom ? (*s.memory.underOom ? "true" : "false") : "null";
  out += ",\"pressure\":{\"some\":";
  appendPressureLine(out, s.memory.pressure.some);
  out += ",\"full\":";
  appendPressureLine(out, s.memory.pressure.full);
  out += "}},\"pids\":{";
  first = true;
  field(out, "current", s.pids.current, first);
  field(out, "max", s.pids.max, first);
  out += "},\"processes\":{";
  first = true;
  for (const auto& [name, member] : kProcessFields)
    field(out, name, s.processes.*member, first);
  key(out, "fdsMaxPid", first);
  if (s.processes.fdsMaxPid) {
    appendInt(out, *s.processes.fdsMaxPid);
  } else {
    out += "null";
  }
  key(out, "unreadable", first);
  appendUint(out, s.processes.unreadable);
  if (const auto& r = s.processes.runtime) {
    out += ",\"runtime\":{\"name\":";
    appendJsonString(out, r->runtime);
    out += ",\"heapMax\":";
    appendUint(out, r->bytes);
    out += ",\"setBy\":";
    appendJsonString(out, r->setBy);
    out += ",\"pid\":";
    appendInt(out, s.processes.runtimePid.value_or(0));
    if (!r->environRead) out += ",\"environRead\":false";
    out += '}';
  }
  out += '}';
}

void appendJson(std::string& out, const AgentSample& s) {
  static const ContainerIdentity kNone;
  const ContainerIdentity& id = s.id ? *s.id : kNone;
  out += "{\"seq\":";
  appendUint(out, s.seq);
  out += ",\"time\":";
  appendDouble(out, s.time);
  out += ",\"podUid\":";
  appendJsonString(out, id.podUid);
  out += ",\"namespace\":";
  appendJsonString(out, id.ns);
  out += ",\"pod\":";
  appendJsonString(out, id.pod);
  out += ",\"container\":";
  appendJsonString(out, id.container);
  out += ",\"containerId\":";
  appendJsonString(out, id.containerId);
  out += s.running ? ",\"running\":true," : ",\"running\":false";
  if (s.running) appendCgroupFields(out, s.data);
  bool first = false;
  field(out, "oomKills", s.oomKills, first);
  field(out, "podOomKill", s.podOomKill, first);
  out += '}';
}

CgroupSample cgroupSampleFromJson(const nlohmann::json& j) {
  CgroupSample s;
  if (!j.is_object()) return s;
  if (auto v = j.find("cgroupVersion"); v != j.end() && v->is_number_integer())
    s.version = v->get<int>();
  s.cgroup = str(j, "cgroup");
  if (auto m = j.find("memory"); m != j.end() && m->is_object()) {
    for (const auto& [name, member] : kMemoryFields)
      s.memory.*member = optUint(*m, name);
    if (auto u = m->find("underOom"); u != m->end() && u->is_boolean())
      s.memory.underOom = u->get<bool>();
    if (auto p = m->find("pressure"); p != m->end() && p->is_object()) {
      s.memory.pressure.some = pressureFromJson(*p, "some");
      s.memory.pressure.full = pressureFromJson(*p, "full");
    }
  }
  if (auto p = j.find("pids"); p != j.end() && p->is_object()) {
    s.pids.current = optUint(*p, "current");
    s.pids.max = optUint(*p, "max");
  }
  if (auto p = j.find("processes"); p != j.end() && p->is_object()) {
    for (const auto& [name, member] : kProcessFields)
      s.processes.*member = optUint(*p, name);
    if (auto pid = p->find("fdsMaxPid"); pid != p->end() && pid->is_number_integer())
      s.processes.fdsMaxPid = pid->get<std::int64_t>();
    s.processes.unreadable = static_cast<std::uint32_t>(optUint(*p, "unreadable").value_or(0));
    if (auto r = p->find("runtime"); r != p->end() && r->is_object()) {
      const auto heapMax = optUint(*r, "heapMax");
      if (heapMax && *heapMax > 0 && !str(*r, "name").empty()) {
        s.processes.runtime =
            RuntimeHeap{.runtime = str(*r, "name"), .bytes = *heapMax, .setBy = str(*r, "setBy")};
        if (auto pid = r->find("pid"); pid != r->end() && pid->is_number_integer())
          s.processes.runtimePid = pid->get<std::int64_t>();
        if (auto e = r->find("environRead"); e != r->end() && e->is_boolean())
          s.processes.runtime->environRead = e->get<bool>();
      }
    }
  }
  return s;
}

Result<AgentSample> agentSampleFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return makeError("sample is not an object");
  AgentSample s;
  auto id = std::make_shared<ContainerIdentity>();
  id->podUid = str(j, "podUid");
  id->ns = str(j, "namespace");
  id->pod = str(j, "pod");
  id->container = str(j, "container");
  id->containerId = str(j, "containerId");
  if (id->podUid.empty() || id->pod.empty() || id->container.empty())
    return makeError("sample without podUid, pod or container");
  auto t = j.find("time");
  if (t == j.end() || !t->is_number() || !std::isfinite(t->get<double>()))
    return makeError("sample without a time");
  s.time = t->get<double>();
  s.seq = optUint(j, "seq").value_or(0);
  s.id = std::move(id);
  if (auto r = j.find("running"); r != j.end() && r->is_boolean()) s.running = r->get<bool>();
  if (s.running) s.data = cgroupSampleFromJson(j);
  s.oomKills = optUint(j, "oomKills");
  s.podOomKill = optUint(j, "podOomKill");
  return s;
}

Result<SamplesPage> parseSamplesPage(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return makeError("samples page is not a JSON object");
  auto samples = j.find("samples");
  if (samples == j.end() || !samples->is_array()) return makeError("samples page has no samples");
  SamplesPage page;
  page.node = str(j, "node");
  page.epoch = str(j, "epoch");
  page.next = optUint(j, "next").value_or(0);
  page.dropped = optUint(j, "dropped").value_or(0);
  if (auto m = j.find("more"); m != j.end() && m->is_boolean()) page.more = m->get<bool>();
  page.samples.reserve(samples->size());
  for (const auto& item : *samples) {
    auto s = agentSampleFromJson(item);
    if (s) {
      page.samples.push_back(std::move(s.value()));
    } else {
      ++page.skipped;
    }
  }
  return page;
}

}  // namespace lg::agent
