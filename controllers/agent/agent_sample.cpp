#include "controllers/agent/agent_sample.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "operator/kube/json_parse.h"

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

// Reading: one implementation over simdjson's DOM (a page of thousands of samples is indexed, not
// built node by node); a field missing or of another type reads as null.
using Element = simdjson::dom::element;

U64 optUint(Element j, const char* k) {
  std::uint64_t v = 0;
  if (j[k].get_uint64().get(v)) return std::nullopt;
  return v;
}

std::optional<double> optDouble(Element j, const char* k) {
  double v = 0;
  if (j[k].get_double().get(v) || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<bool> optBool(Element j, const char* k) {
  bool v = false;
  if (j[k].get_bool().get(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> optInt(Element j, const char* k) {
  std::int64_t v = 0;
  if (j[k].get_int64().get(v)) return std::nullopt;
  return v;
}

std::optional<Element> optObject(Element j, const char* k) {
  Element v;
  if (j[k].get(v) || !v.is_object()) return std::nullopt;
  return v;
}

std::string_view view(Element j, const char* k) {
  std::string_view v;
  if (j[k].get_string().get(v)) return {};
  return v;
}

std::string str(Element j, const char* k) {
  return std::string(view(j, k));
}

std::optional<PressureLine> pressureFrom(Element j, const char* k) {
  auto o = optObject(j, k);
  if (!o) return std::nullopt;
  return PressureLine{.avg10 = optDouble(*o, "avg10").value_or(0),
                      .avg60 = optDouble(*o, "avg60").value_or(0),
                      .avg300 = optDouble(*o, "avg300").value_or(0),
                      .totalUs = optUint(*o, "total").value_or(0)};
}

std::optional<RuntimeHeap> runtimeFrom(Element p, std::optional<std::int64_t>& pid) {
  auto r = optObject(p, "runtime");
  if (!r) return std::nullopt;
  const auto heapMax = optUint(*r, "heapMax");
  std::string name = str(*r, "name");
  if (!heapMax || *heapMax == 0 || name.empty()) return std::nullopt;
  RuntimeHeap h{.runtime = std::move(name), .bytes = *heapMax, .setBy = str(*r, "setBy")};
  pid = optInt(*r, "pid");
  if (auto e = optBool(*r, "environRead")) h.environRead = *e;
  return h;
}

CgroupSample cgroupSampleFrom(Element j) {
  CgroupSample s;
  if (!j.is_object()) return s;
  if (auto v = optInt(j, "cgroupVersion")) s.version = static_cast<int>(*v);
  s.cgroup = str(j, "cgroup");
  if (auto m = optObject(j, "memory")) {
    for (const auto& [name, member] : kMemoryFields)
      s.memory.*member = optUint(*m, name);
    s.memory.underOom = optBool(*m, "underOom");
    if (auto p = optObject(*m, "pressure")) {
      s.memory.pressure.some = pressureFrom(*p, "some");
      s.memory.pressure.full = pressureFrom(*p, "full");
    }
  }
  if (auto p = optObject(j, "pids")) {
    s.pids.current = optUint(*p, "current");
    s.pids.max = optUint(*p, "max");
  }
  if (auto p = optObject(j, "processes")) {
    for (const auto& [name, member] : kProcessFields)
      s.processes.*member = optUint(*p, name);
    s.processes.fdsMaxPid = optInt(*p, "fdsMaxPid");
    s.processes.unreadable = static_cast<std::uint32_t>(optUint(*p, "unreadable").value_or(0));
    s.processes.runtime = runtimeFrom(*p, s.processes.runtimePid);
  }
  return s;
}

// A sample's identity as the page has it: podUid, namespace, pod, container, containerId.
// The views point into the parsed page, so they live as long as its document.
using IdentityKey = std::array<std::string_view, 5>;

struct IdentityKeyHash {
  std::size_t operator()(const IdentityKey& k) const {
    std::size_t h = 0;
    for (const auto& part : k)
      h = h * 31 + std::hash<std::string_view>{}(part);
    return h;
  }
};

// The identities of one page: a container's many samples share one, built at its first.
using Identities =
    std::unordered_map<IdentityKey, std::shared_ptr<const ContainerIdentity>, IdentityKeyHash>;

Result<AgentSample> agentSampleFrom(Element j, Identities* seen) {
  if (!j.is_object()) return makeError("sample is not an object");
  const IdentityKey key{view(j, "podUid"), view(j, "namespace"), view(j, "pod"),
                        view(j, "container"), view(j, "containerId")};
  if (key[0].empty() || key[2].empty() || key[3].empty())
    return makeError("sample without podUid, pod or container");
  const auto t = optDouble(j, "time");
  if (!t) return makeError("sample without a time");
  AgentSample s;
  s.time = *t;
  s.seq = optUint(j, "seq").value_or(0);
  auto identity = [&key] {
    return std::make_shared<const ContainerIdentity>(
        ContainerIdentity{.podUid = std::string(key[0]),
                          .ns = std::string(key[1]),
                          .pod = std::string(key[2]),
                          .container = std::string(key[3]),
                          .containerId = std::string(key[4])});
  };
  if (seen) {
    auto& slot = (*seen)[key];
    if (!slot) slot = identity();
    s.id = slot;
  } else {
    s.id = identity();
  }
  s.running = optBool(j, "running").value_or(false);
  if (s.running) s.data = cgroupSampleFrom(j);
  s.oomKills = optUint(j, "oomKills");
  s.podOomKill = optUint(j, "podOomKill");
  return s;
}

// The parser of this thread: its buffers are reused from one page to the next, and grow to the
// largest (releaseSamplesParser gives them back).
simdjson::dom::parser& threadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

simdjson::error_code parse(std::string_view text, Element& out) {
  return kube::parseJson(threadParser(), text, out);
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
  Element e;
  if (parse(j.dump(), e)) return {};
  return cgroupSampleFrom(e);
}

Result<AgentSample> agentSampleFromJson(const nlohmann::json& j) {
  Element e;
  if (parse(j.dump(), e)) return makeError("sample is not JSON");
  return agentSampleFrom(e, nullptr);
}

void releaseSamplesParser() {
  threadParser() = simdjson::dom::parser();
}

Result<SamplesPage> parseSamplesPage(std::string_view body) {
  Element j;
  if (parse(body, j) || !j.is_object()) return makeError("samples page is not a JSON object");
  simdjson::dom::array samples;
  if (j["samples"].get_array().get(samples)) return makeError("samples page has no samples");
  SamplesPage page;
  page.node = str(j, "node");
  page.epoch = str(j, "epoch");
  page.next = optUint(j, "next").value_or(0);
  page.dropped = optUint(j, "dropped").value_or(0);
  page.more = optBool(j, "more").value_or(false);
  page.samples.reserve(samples.size());
  Identities seen;
  for (Element item : samples) {
    auto s = agentSampleFrom(item, &seen);
    if (s) {
      page.samples.push_back(std::move(s.value()));
    } else {
      ++page.skipped;
    }
  }
  return page;
}

}  // namespace lg::agent
