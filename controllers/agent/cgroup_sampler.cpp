#include "controllers/agent/cgroup_sampler.h"

#include <sys/stat.h>

#include "controllers/agent/cgroup_parsers.h"
#include "operator/util/logger.h"

namespace lg::agent {
namespace {

constexpr std::size_t kMaxLogged = 1024;

}  // namespace

CgroupSampler::CgroupSampler(CgroupLayout layout, ProcReaderOptions proc, const Clock& clock)
    : layout_(std::move(layout)), proc_(std::move(proc), clock) {}

void CgroupSampler::problem(ReadProblems& problems, std::string file, std::string reason) {
  std::string key = file + ": " + reason;
  if (logged_.size() >= kMaxLogged) logged_.clear();
  if (logged_.insert(key).second)
    LG_LOG(warn, "cgroup file unreadable, its fields are null",
           {{"file", file}, {"reason", reason}});
  problems.push_back({std::move(file), std::move(reason)});
}

const std::string_view* CgroupSampler::file(const std::string& dir, std::string_view name,
                                            ReadProblems& problems) {
  path_.assign(dir).append("/").append(name);
  auto r = reader_.read(path_);
  if (!r) {
    problem(problems, path_, describeErrno(r.error().code));
    return nullptr;
  }
  content_ = *r;
  return &content_;
}

bool CgroupSampler::exists(std::string_view cgroupPath) const {
  struct stat st {};
  return ::stat(layout_.memoryDir(cgroupPath).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void CgroupSampler::sample(std::string_view cgroupPath, CgroupSample& out, ReadProblems& problems) {
  out = CgroupSample{};
  out.version = layout_.version;
  out.cgroup = normalizeCgroupPath(cgroupPath);
  const std::string memDir = layout_.memoryDir(out.cgroup);
  if (layout_.version == 1) {
    readV1(memDir, out.memory, problems);
  } else {
    readV2(memDir, out.memory, problems);
  }
  readPids(layout_.pidsDir(out.cgroup), out.pids, problems);
  const auto& m = out.memory;
  const std::uint64_t limit = m.limit.value_or(0) > 0 ? *m.limit : m.hierarchicalLimit.value_or(0);
  readProcesses(memDir, out.processes, problems, limit);
}

template <class Parser>
auto CgroupSampler::parsed(const std::string& dir, std::string_view name, Parser parse,
                           ReadProblems& problems)
    -> std::optional<std::decay_t<decltype(parse(std::string_view()).value())>> {
  const auto* text = file(dir, name, problems);
  if (!text) return std::nullopt;
  auto r = parse(*text);
  if (!r) {
    problem(problems, dir + "/" + std::string(name), r.error().message);
    return std::nullopt;
  }
  return std::move(r.value());
}

void CgroupSampler::readV1(const std::string& dir, MemoryStats& m, ReadProblems& problems) {
  auto usage = parsed(dir, "memory.usage_in_bytes", parseSingleValue, problems);
  m.usage = usage;
  auto stat = parsed(dir, "memory.stat", parseV1MemoryStat, problems);
  if (stat) {
    m.anon = stat->rss;
    m.file = stat->cache;
    m.shmem = stat->shmem;
    m.mappedFile = stat->mappedFile;
    m.inactiveFile = stat->inactiveFile;
    m.activeFile = stat->activeFile;
    m.hierarchicalLimit = stat->hierarchicalLimit;
    if (!stat->rss || !stat->inactiveFile)
      problem(problems, dir + "/memory.stat", "no total_rss/rss or total_inactive_file");
  }
  auto limit = parsed(dir, "memory.limit_in_bytes", parseV1Limit, problems);
  m.limit = limit;
  auto oom = parsed(dir, "memory.oom_control", parseV1OomControl, problems);
  if (oom) {
    m.underOom = oom->underOom;
    m.oomKill = oom->oomKill;
  }
  auto failcnt = parsed(dir, "memory.failcnt", parseSingleValue, problems);
  m.failcnt = failcnt;
  auto kmem = parsed(dir, "memory.kmem.usage_in_bytes", parseSingleValue, problems);
  m.kernel = kmem;
  if (m.usage && m.inactiveFile)
    m.workingSet = *m.usage > *m.inactiveFile ? *m.usage - *m.inactiveFile : 0;
}

void CgroupSampler::readV2(const std::string& dir, MemoryStats& m, ReadProblems& problems) {
  auto usage = parsed(dir, "memory.current", parseSingleValue, problems);
  m.usage = usage;
  auto stat = parsed(dir, "memory.stat", parseV2MemoryStat, problems);
  if (stat) {
    m.anon = stat->anon;
    m.file = stat->file;
    m.shmem = stat->shmem;
    m.mappedFile = stat->fileMapped;
    m.inactiveFile = stat->inactiveFile;
    m.activeFile = stat->activeFile;
    m.kernel = stat->kernel;
    if (!stat->anon || !stat->inactiveFile)
      problem(problems, dir + "/memory.stat", "no anon or inactive_file");
  }
  auto limit = parsed(dir, "memory.max", parseMaxOrValue, problems);
  m.limit = limit;
  auto events = parsed(dir, "memory.events", parseV2MemoryEvents, problems);
  if (events) {
    m.maxEvents = events->max;
    m.highEvents = events->high;
    m.oomEvents = events->oom;
    m.oomKill = events->oomKill;
  }
  auto pressure = parsed(dir, "memory.pressure", parsePressure, problems);
  if (pressure) m.pressure = *pressure;
  if (m.usage && m.inactiveFile)
    m.workingSet = *m.usage > *m.inactiveFile ? *m.usage - *m.inactiveFile : 0;
}

void CgroupSampler::readPids(const std::string& dir, PidsStats& p, ReadProblems& problems) {
  auto current = parsed(dir, "pids.current", parseSingleValue, problems);
  p.current = current;
  auto max = parsed(dir, "pids.max", parseMaxOrValue, problems);
  p.max = max;
}

void CgroupSampler::readProcesses(const std::string& dir, ProcessStats& p, ReadProblems& problems,
                                  std::uint64_t memoryLimit) {
  const auto* text = file(dir, "cgroup.procs", problems);
  if (!text) return;
  if (auto st = parsePidList(*text, pids_); !st) {
    problem(problems, dir + "/cgroup.procs", "malformed: " + st.error().message);
    return;
  }
  ReadProblems procProblems;
  p = proc_.read(pids_, reader_, procProblems, memoryLimit);
  for (auto& pp : procProblems)
    problem(problems, std::move(pp.file), std::move(pp.reason));
}

std::optional<std::uint64_t> CgroupSampler::oomKillCounter(std::string_view cgroupPath,
                                                           ReadProblems& problems) {
  const std::string dir = layout_.memoryDir(cgroupPath);
  if (layout_.version == 1) {
    auto oom = parsed(dir, "memory.oom_control", parseV1OomControl, problems);
    return oom ? oom->oomKill : std::nullopt;
  }
  auto events = parsed(dir, "memory.events", parseV2MemoryEvents, problems);
  return events ? events->oomKill : std::nullopt;
}

}  // namespace lg::agent
