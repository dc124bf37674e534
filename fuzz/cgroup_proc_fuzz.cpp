// The files the agent reads on its node (cgroup v1 and v2, /proc/<pid>/limits, status, cmdline
// and environ, the kernel's OOM-kill records, cgroup paths, the kubelet's log links): a container
// controls some of what they hold (its process names, its cgroup's children), so none may crash the
// agent. The first byte picks the parser, the rest is the file.
#include <vector>

#include "controllers/agent/cgroup_parsers.h"
#include "controllers/agent/kernel_oom_watcher.h"
#include "controllers/agent/kubelet_pod_lister.h"
#include "controllers/agent/pod_cgroup_path.h"
#include "controllers/agent/proc_reader.h"
#include "controllers/agent/runtime_heap.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto text = lg::fuzz::asText(data + 1, size - 1);
  namespace a = lg::agent;
  switch (data[0] % 13) {
    case 0:
      (void)a::parseUint(text);
      break;
    case 1:
      (void)a::parseSingleValue(text);
      break;
    case 2:
      (void)a::parseV1Limit(text);
      break;
    case 3:
      (void)a::parseMaxOrValue(text);
      break;
    case 4:
      (void)a::parseV1MemoryStat(text);
      break;
    case 5:
      (void)a::parseV2MemoryStat(text);
      break;
    case 6:
      (void)a::parseV1OomControl(text);
      break;
    case 7:
      (void)a::parseV2MemoryEvents(text);
      break;
    case 8:
      (void)a::parsePressure(text);
      break;
    case 9: {
      std::vector<std::int64_t> pids;
      (void)a::parsePidList(text, pids);
      break;
    }
    case 10:
      (void)a::parseNoFileSoftLimit(text);
      (void)a::parseStatusThreads(text);
      break;
    case 11: {
      (void)a::parseOomKillRecord(text);
      (void)a::parsePodCgroupPath(text);
      // A kubelet log link: its name, a newline, its target (pod and container names are
      // the tenant's).
      const auto nl = text.find('\n');
      (void)a::parseContainerLogLink(text.substr(0, nl),
                                     nl == std::string_view::npos ? "" : text.substr(nl + 1));
      break;
    }
    case 12: {
      // A process's cmdline, \x01, its environ (both the tenant's), under limits of every size.
      const auto sep = text.find('\x01');
      const auto cmdline = text.substr(0, sep);
      const auto environ = sep == std::string_view::npos ? "" : text.substr(sep + 1);
      for (std::uint64_t limit :
           {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{512} << 20, ~std::uint64_t{0}})
        (void)a::runtimeHeapOf(cmdline, environ, limit);
      (void)a::parseJvmSize(text);
      break;
    }
  }
  return 0;
}
