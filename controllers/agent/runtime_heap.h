#pragma once
// The heap cap of a garbage-collected runtime, read from what the agent may read of a process:
// its command line and its initial environment. A JVM or a Node.js process dies of its own
// out-of-memory error when its heap reaches this cap, often far below the container's memory
// limit (a JVM's default is a quarter of it), so the cap, not the limit, is the line a leak in
// it approaches (README, "Runtimes with their own heap cap").
//
// JVM (`java` as argv[0]; JDK 10 and later, 8u191 and later): -Xmx, -XX:MaxHeapSize,
// -XX:MaxRAMPercentage, -XX:MinRAMPercentage, -XX:MaxRAMFraction and -XX:MaxRAM, from
// JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, the command line up to the main class or jar, and
// _JAVA_OPTIONS, in that order (the last one given wins). Without -Xmx, HotSpot's rule for a
// container's memory M:
//   M * MinRAMPercentage (50%) when that is below 126Mi (the default MaxHeapSize), else
//   the larger of M * MaxRAMPercentage (25%) and 126Mi.
// With -XX:-UseContainerSupport the JVM sizes its heap from the host's memory: no cap is
// reported unless -Xmx gives it.
//
// Node.js (`node` or `nodejs` as argv[0]): --max-old-space-size from NODE_OPTIONS and the
// command line before the script. V8's heap limit is the old generation plus three
// semi-spaces; without the flag the old generation is half of the container's memory,
// clamped to 256Mi..2Gi; the semi-space is the default old generation / 128 (/ 256 at 256Mi
// or less), clamped to 1Mi..16Mi. (V8 as in Node.js 20; measured there: 259Mi for a 460Mi
// limit, 524Mi for 1Gi.)
//
// Every formula above was checked against the runtimes on this project's machine (`java
// -XX:+PrintFlagsFinal`, `v8.getHeapStatistics().heap_size_limit`) in cgroups of 64Mi to 8Gi;
// the unit tests hold those figures. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lg::agent {

struct RuntimeHeap {
  std::string runtime;  // "JVM" or "Node.js"
  std::uint64_t bytes = 0;
  // What set it, for a person: "-Xmx512m", "JAVA_TOOL_OPTIONS -Xmx512m",
  // "the JVM's default: a quarter of the 1Gi limit", "V8's default for the 460Mi limit", ...
  std::string setBy;
  // False when the process's environment could not be read (an agent that is not root and
  // has no CAP_SYS_PTRACE): the cap is then the command line's alone, and the controller
  // believes it only for a container whose spec sets none of the variables that carry heap
  // options (runtime::kRuntimeOptionVariables) and has no envFrom.
  bool environRead = true;
};

// argv and environ as /proc/<pid>/cmdline and /proc/<pid>/environ give them (NUL-separated;
// a trailing NUL or none). memoryLimit: the container's memory limit in bytes (0: none).
// nullopt when the process is not a runtime known here, or its cap cannot be known (a JVM
// without container support and without -Xmx; a default with no container limit).
std::optional<RuntimeHeap> runtimeHeapOf(std::string_view cmdline, std::string_view environ,
                                         std::uint64_t memoryLimit);

// Whether the command line is of a runtime known here (its environment is worth reading).
bool isKnownRuntime(std::string_view cmdline);

// "512m", "2G", "1048576" (bytes), as the JVM reads a size; nullopt when malformed.
std::optional<std::uint64_t> parseJvmSize(std::string_view s);

}  // namespace lg::agent
