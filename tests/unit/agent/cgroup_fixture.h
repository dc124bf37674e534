#pragma once
// Fixture trees for the agent's readers (house rule 3): cgroup v1 and v2 directories and a fake
// /proc in a temp dir, written with the kernel's file formats. Header-only; shared by the agent's
// unit tests and bench/sources.

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fakes/kube/temp_dir.h"

namespace lg::agent::testing {

using kube::testing::TempDir;

inline constexpr std::uint64_t kV1NoLimit = 9223372036854771712ull;

struct MemoryFixture {
  std::uint64_t usage = 100 << 20;
  std::uint64_t anon = 60 << 20;
  std::uint64_t file = 30 << 20;  // includes shmem
  std::uint64_t shmem = 4 << 20;
  std::uint64_t inactiveFile = 20 << 20;
  std::uint64_t activeFile = 6 << 20;
  std::uint64_t mappedFile = 2 << 20;
  std::uint64_t kernel = 3 << 20;
  std::uint64_t limit = 256 << 20;  // 0: none
  std::uint64_t failcnt = 7;        // v1 failcnt, v2 "max" events
  std::uint64_t oomKill = 1;
  std::uint64_t pidsCurrent = 5;
  std::uint64_t pidsMax = 0;  // 0: "max"
};

inline std::string u(std::uint64_t v) {
  return std::to_string(v);
}

inline std::string v1MemoryStat(const MemoryFixture& m) {
  // Local and hierarchical keys as a v1 kernel prints them (the reader prefers total_*).
  return "cache 1\nrss 1\nrss_huge 0\nshmem 1\nmapped_file 1\ninactive_anon 0\nactive_anon 1\n"
         "inactive_file 1\nactive_file 1\nunevictable 0\nhierarchical_memory_limit " +
         u(m.limit ? m.limit : kV1NoLimit) + "\nhierarchical_memsw_limit " + u(kV1NoLimit) +
         "\ntotal_cache " + u(m.file) + "\ntotal_rss " + u(m.anon) + "\ntotal_rss_huge 0\n" +
         "total_shmem " + u(m.shmem) + "\ntotal_mapped_file " + u(m.mappedFile) +
         "\ntotal_inactive_anon 0\ntotal_active_anon " + u(m.anon) + "\ntotal_inactive_file " +
         u(m.inactiveFile) + "\ntotal_active_file " + u(m.activeFile) + "\n";
}

inline std::string v2MemoryStat(const MemoryFixture& m) {
  return "anon " + u(m.anon) + "\nfile " + u(m.file) + "\nkernel " + u(m.kernel) +
         "\nkernel_stack 16384\npagetables 0\nsock 0\nshmem " + u(m.shmem) + "\nfile_mapped " +
         u(m.mappedFile) + "\nfile_dirty 0\ninactive_anon 0\nactive_anon " + u(m.anon) +
         "\ninactive_file " + u(m.inactiveFile) + "\nactive_file " + u(m.activeFile) +
         "\nunevictable 0\n";
}

inline std::string procsText(const std::vector<std::int64_t>& pids) {
  std::string s;
  for (auto p : pids)
    s += std::to_string(p) + "\n";
  return s;
}

// A v1 cgroup: <root>/memory/<path> and <root>/pids/<path>.
inline void writeV1Cgroup(const TempDir& dir, const std::string& root, const std::string& path,
                          const MemoryFixture& m, const std::vector<std::int64_t>& pids = {}) {
  const std::string mem = root + "/memory" + path + "/";
  dir.write(mem + "memory.usage_in_bytes", u(m.usage) + "\n");
  dir.write(mem + "memory.stat", v1MemoryStat(m));
  dir.write(mem + "memory.limit_in_bytes", u(m.limit ? m.limit : kV1NoLimit) + "\n");
  dir.write(mem + "memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill " + u(m.oomKill) + "\n");
  dir.write(mem + "memory.failcnt", u(m.failcnt) + "\n");
  dir.write(mem + "memory.kmem.usage_in_bytes", u(m.kernel) + "\n");
  dir.write(mem + "cgroup.procs", procsText(pids));
  const std::string p = root + "/pids" + path + "/";
  dir.write(p + "pids.current", u(m.pidsCurrent) + "\n");
  dir.write(p + "pids.max", (m.pidsMax ? u(m.pidsMax) : std::string("max")) + "\n");
  dir.write(p + "cgroup.procs", procsText(pids));
}

// Makes <root> look like a v1 mount (memory and pids hierarchies).
inline void makeV1Root(const TempDir& dir, const std::string& root) {
  dir.write(root + "/memory/cgroup.procs", "");
  dir.write(root + "/pids/cgroup.procs", "");
}

// Makes <root> look like a v2 mount.
inline void makeV2Root(const TempDir& dir, const std::string& root) {
  dir.write(root + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
}

inline void writeV2Cgroup(const TempDir& dir, const std::string& root, const std::string& path,
                          const MemoryFixture& m, const std::vector<std::int64_t>& pids = {}) {
  const std::string d = root + path + "/";
  dir.write(d + "memory.current", u(m.usage) + "\n");
  dir.write(d + "memory.stat", v2MemoryStat(m));
  dir.write(d + "memory.max", (m.limit ? u(m.limit) : std::string("max")) + "\n");
  dir.write(d + "memory.events", "low 0\nhigh 2\nmax " + u(m.failcnt) + "\noom 3\noom_kill " +
                                     u(m.oomKill) + "\noom_group_kill 0\n");
  dir.write(d + "memory.pressure",
            "some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\n"
            "full avg10=0.50 avg60=0.25 avg300=0.00 total=6543\n");
  dir.write(d + "pids.current", u(m.pidsCurrent) + "\n");
  dir.write(d + "pids.max", (m.pidsMax ? u(m.pidsMax) : std::string("max")) + "\n");
  dir.write(d + "cgroup.procs", procsText(pids));
}

// A fake /proc/<pid>: status with Threads, limits with Max open files, fd/ with `fds` entries.
inline void writeProc(const TempDir& dir, const std::string& procRoot, std::int64_t pid,
                      int threads, int fds, const std::string& softLimit = "1024") {
  const std::string base = procRoot + "/" + std::to_string(pid);
  dir.write(base + "/status", "Name:\tapp\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" +
                                  std::to_string(pid) + "\nThreads:\t" + std::to_string(threads) +
                                  "\nSigQ:\t0/63711\n");
  dir.write(base + "/limits",
            "Limit                     Soft Limit           Hard Limit           Units     \n"
            "Max cpu time              unlimited            unlimited            seconds   \n"
            "Max open files            " +
                softLimit +
                "                 1048576              files     \n"
                "Max locked memory         8388608              8388608              bytes     \n");
  std::filesystem::create_directories(dir.file(base + "/fd"));
  for (int i = 0; i < fds; ++i)
    dir.write(base + "/fd/" + std::to_string(i), "");
}

}  // namespace lg::agent::testing
