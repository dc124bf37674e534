#include "controllers/agent/proc_reader.h"

#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>

#include "controllers/agent/cgroup_parsers.h"

namespace lg::agent {
namespace {

constexpr long kProcSuperMagic = 0x9fa0;

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

// The line of `text` that starts with `prefix`, without the prefix; nullopt if none.
std::optional<std::string_view> lineAfter(std::string_view text, std::string_view prefix) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return std::nullopt;
}

}  // namespace

Result<std::uint64_t> parseNoFileSoftLimit(std::string_view limitsText) {
  auto rest = lineAfter(limitsText, "Max open files");
  if (!rest) return makeError("malformed: no \"Max open files\" line");
  std::string_view s = trimLeft(*rest);
  const std::string_view soft = s.substr(0, s.find_first_of(" \t"));
  if (soft == "unlimited") return std::uint64_t{0};
  if (auto v = parseUint(soft)) return *v;
  return makeError("malformed: soft limit \"" + std::string(soft.substr(0, 40)) + "\"");
}

Result<std::uint64_t> parseStatusThreads(std::string_view statusText) {
  auto rest = lineAfter(statusText, "Threads:");
  if (!rest) return makeError("malformed: no \"Threads:\" line");
  if (auto v = parseUint(*rest)) return *v;
  return makeError("malformed: \"Threads:" + std::string(rest->substr(0, 40)) + "\"");
}

ProcReader::ProcReader(ProcReaderOptions opts, const Clock& clock)
    : opts_(std::move(opts)), clock_(clock) {
  struct statfs fs {};
  fdSizeWorks_ = ::statfs(opts_.procRoot.c_str(), &fs) == 0 && fs.f_type == kProcSuperMagic;
}

Result<std::uint64_t> ProcReader::countFds(const std::string& fdDir) {
  if (fdSizeWorks_) {
    struct stat st {};
    if (::stat(fdDir.c_str(), &st) != 0) {
      const int err = errno;
      return makeError(fdDir + ": " + describeErrno(err), err);
    }
    if (st.st_size > 0) return static_cast<std::uint64_t>(st.st_size);
  }
  auto n = FileReader::countEntries(fdDir);
  if (!n) return n.error();
  return static_cast<std::uint64_t>(*n);
}

std::optional<std::uint64_t> ProcReader::softLimit(std::int64_t pid, const std::string& base,
                                                   FileReader& reader, ReadProblems& problems,
                                                   Clock::steady_time_point now) {
  auto it = limits_.find(pid);
  if (it != limits_.end() && now - it->second.readAt < opts_.limitsMaxAge) return it->second.soft;
  path_ = base + "/limits";
  auto text = reader.read(path_);
  Result<std::uint64_t> soft =
      text ? parseNoFileSoftLimit(*text)
           : Result<std::uint64_t>(Error{describeErrno(text.error().code), text.error().code});
  if (soft) {
    limits_.insert_or_assign(pid, CachedLimit{*soft, now});
    return *soft;
  }
  if (soft.error().code != ENOENT) problems.push_back({path_, soft.error().message});
  if (it != limits_.end()) limits_.erase(it);
  return std::nullopt;
}

const std::optional<RuntimeHeap>& ProcReader::runtime(std::int64_t pid, const std::string& base,
                                                      FileReader& reader, ReadProblems& problems,
                                                      std::uint64_t memoryLimit,
                                                      Clock::steady_time_point now) {
  auto it = runtimes_.find(pid);
  if (it != runtimes_.end() && it->second.memoryLimit == memoryLimit &&
      now - it->second.readAt < opts_.limitsMaxAge)
    return it->second.heap;
  CachedRuntime c{.heap = std::nullopt, .memoryLimit = memoryLimit, .readAt = now};
  path_ = base + "/cmdline";
  auto cmdline = reader.read(path_);
  if (cmdline) {
    const std::string argv(*cmdline);
    // The environment only matters to a runtime (JAVA_TOOL_OPTIONS, NODE_OPTIONS): read for one.
    if (isKnownRuntime(argv)) {
      path_ = base + "/environ";
      auto environ = reader.read(path_);
      if (environ) {
        c.heap = runtimeHeapOf(argv, *environ, memoryLimit);
      } else if (environ.error().code != ENOENT) {
        // Not ours to read (a non-root agent): the command line's cap, said to be only that.
        c.heap = runtimeHeapOf(argv, "", memoryLimit);
        if (c.heap) c.heap->environRead = false;
      }
    }
  } else if (cmdline.error().code != ENOENT) {
    problems.push_back({path_, describeErrno(cmdline.error().code)});
  }
  return runtimes_.insert_or_assign(pid, std::move(c)).first->second.heap;
}

ProcessStats ProcReader::read(const std::vector<std::int64_t>& pids, FileReader& reader,
                              ReadProblems& problems, std::uint64_t memoryLimit) {
  ProcessStats out;
  std::uint64_t processes = 0, threads = 0, fdsTotal = 0, fdsRead = 0, threadsRead = 0;
  int runtimes = 0;
  const auto now = clock_.steadyNow();
  for (const std::int64_t pid : pids) {
    const std::string base = opts_.procRoot + "/" + std::to_string(pid);
    bool gone = false, unreadable = false;

    path_ = base + "/status";
    auto status = reader.read(path_);
    if (!status) {
      if (status.error().code == ENOENT) continue;  // exited since cgroup.procs was read
      problems.push_back({path_, describeErrno(status.error().code)});
      unreadable = true;
    } else if (auto t = parseStatusThreads(*status)) {
      threads += *t;
      ++threadsRead;
    } else {
      problems.push_back({path_, t.error().message});
      unreadable = true;
    }

    path_ = base + "/fd";
    auto fds = countFds(path_);
    if (!fds) {
      if (fds.error().code == ENOENT) {
        gone = true;
      } else {
        problems.push_back({path_, describeErrno(fds.error().code)});
        unreadable = true;
      }
    } else {
      fdsTotal += *fds;
      ++fdsRead;
      if (!out.fdsMax || *fds > *out.fdsMax) {
        out.fdsMax = *fds;
        out.fdsMaxPid = pid;
        // The limit of the process holding the most fds.
        out.fdsSoftLimit = softLimit(pid, base, reader, problems, now);
      }
    }
    if (gone) continue;
    ++processes;
    if (unreadable) ++out.unreadable;
    if (const auto& heap = runtime(pid, base, reader, problems, memoryLimit, now)) {
      ++runtimes;
      out.runtime = heap;
      out.runtimePid = pid;
    }
  }
  // Two runtimes in one container: its memory is their sum, and neither cap bounds it.
  if (runtimes > 1) {
    out.runtime.reset();
    out.runtimePid.reset();
  }
  out.processes = processes;
  if (threadsRead > 0 || pids.empty()) out.threads = threads;
  if (fdsRead > 0 || pids.empty()) {
    out.fdsTotal = fdsTotal;
    if (!out.fdsMax) out.fdsMax = 0;
  }
  // Forget processes not seen for a while (bounded caches).
  if (++calls_ % 64 == 0) {
    std::erase_if(limits_,
                  [&](const auto& e) { return now - e.second.readAt >= 2 * opts_.limitsMaxAge; });
    std::erase_if(runtimes_,
                  [&](const auto& e) { return now - e.second.readAt >= 2 * opts_.limitsMaxAge; });
  }
  return out;
}

}  // namespace lg::agent
