#pragma once
// The node agent's samples and their JSON wire format, shared by the agent (which writes it)
// and the controller's AgentSource and `leakguard sample` (which read or print it).
//
// A cgroup sample in JSON (null where the agent could not read a value; limits 0 = none):
//   {"cgroupVersion":1,"cgroup":"/kubepods/burstable/pod<uid>/<id>",
//    "memory":{"usage":..,"workingSet":..,"anon":..,"file":..,"shmem":..,"inactiveFile":..,
//              "activeFile":..,"mappedFile":..,"kernel":..,"limit":..,"hierarchicalLimit":..,
//              "failcnt":..,"maxEvents":..,"highEvents":..,"oomEvents":..,"oomKill":..,
//              "underOom":true|false|null,
//              "pressure":{"some":{"avg10":..,"avg60":..,"avg300":..,"total":..}|null,
//                          "full":{...}|null}},
//    "pids":{"current":..,"max":..},
//    "processes":{"count":..,"threads":..,"fdsTotal":..,"fdsMax":..,"fdsMaxPid":..,
//                 "fdsSoftLimit":..,"unreadable":0,
//                 "runtime":{"name":"JVM","heapMax":..,"setBy":"-Xmx512m","pid":..,
//                            "environRead":false (only when it could not be read)}}}
//   ("runtime" only for a cgroup whose one JVM or Node.js process has a known heap cap)
// An agent sample adds the container's identity and the OOM-kill counts:
//   {"seq":17,"time":1764097200.25,"podUid":"..","namespace":"..","pod":"..","container":"..",
//    "containerId":"containerd://..","running":true, <the cgroup sample's fields>,
//    "oomKills":1,"podOomKill":0}
// A container without a cgroup (not started yet, exited, between restarts) is reported with
// "running":false and no cgroup fields, so its OOM-kill count stays visible in a crash loop.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/agent/cgroup_stats.h"
#include "operator/util/result.h"

namespace lg::agent {

// Shared by every sample of one container instance (the ring holds many).
struct ContainerIdentity {
  std::string podUid;
  std::string ns;
  std::string pod;
  std::string container;
  std::string containerId;  // as the pod status has it: "containerd://<id>"
};

struct AgentSample {
  std::uint64_t seq = 0;  // assigned by the SampleRing: 1, 2, 3, ...
  double time = 0;        // seconds since the epoch
  std::shared_ptr<const ContainerIdentity> id;
  bool running = false;  // the container has a cgroup now; `data` is only meaningful if so
  CgroupSample data;
  // OOM kills of this pod's container (every instance of it, across restarts) the agent has
  // seen: from the kernel log and the cgroups' counters. A lower bound; null if neither source
  // is readable.
  std::optional<std::uint64_t> oomKills;
  // The pod-level cgroup's OOM-kill counter. v2: every kill in the pod; v1: only processes
  // in the pod cgroup itself (the kernel counts a v1 kill in the victim's cgroup only).
  std::optional<std::uint64_t> podOomKill;
};

// Appends the cgroup sample's fields (without braces: `"cgroupVersion":..,...,"processes":{}`).
void appendCgroupFields(std::string& out, const CgroupSample& s);
// Appends one agent sample as a JSON object.
void appendJson(std::string& out, const AgentSample& s);
// Appends a JSON string literal (escaped; invalid UTF-8 becomes U+FFFD).
void appendJsonString(std::string& out, std::string_view s);

// Reads the cgroup fields back (missing or mistyped fields stay null).
CgroupSample cgroupSampleFromJson(const nlohmann::json& j);
// Reads an agent sample; error if it lacks its identity or time.
Result<AgentSample> agentSampleFromJson(const nlohmann::json& j);

// GET /v1/samples answers {"node":..,"epoch":..,"next":..,"dropped":..,"more":..,"samples":[..]}.
struct SamplesPage {
  std::string node;
  std::string epoch;          // changes when the agent restarts (sequence numbers start over)
  std::uint64_t next = 0;     // ask for since=next to continue
  std::uint64_t dropped = 0;  // samples lost before they were read (the ring overwrote them)
  bool more = false;          // more samples are ready now (the page was full)
  std::vector<AgentSample> samples;
  int skipped = 0;  // malformed samples in the page
};
// Parsed with simdjson on a parser of the calling thread, reused from page to page; samples of
// one container share one identity.
Result<SamplesPage> parseSamplesPage(std::string_view body);
// Frees the calling thread's parser buffers, which stay at the size of the largest page parsed:
// after a backlog.
void releaseSamplesParser();

}  // namespace lg::agent
