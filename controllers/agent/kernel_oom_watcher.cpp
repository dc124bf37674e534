#include "controllers/agent/kernel_oom_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "controllers/agent/cgroup_parsers.h"
#include "controllers/agent/file_reader.h"
#include "operator/util/logger.h"

namespace lg::agent {
namespace {

// The value of `key=` in an oom-kill line: up to the next ",<word>=" (cpuset and mems_allowed
// values may hold commas, cgroup paths do not).
std::optional<std::string_view> valueOf(std::string_view text, std::string_view key) {
  std::size_t pos = 0;
  for (;;) {
    pos = text.find(key, pos);
    if (pos == std::string_view::npos) return std::nullopt;
    if (pos == 0 || text[pos - 1] == ',' || text[pos - 1] == ':') break;
    pos += key.size();
  }
  std::string_view v = text.substr(pos + key.size());
  const auto comma = v.find(',');
  return v.substr(0, comma);
}

constexpr std::size_t kMaxRecordsPerPoll = 100000;

}  // namespace

std::optional<OomKill> parseOomKillRecord(std::string_view record) {
  // Strip the /dev/kmsg header "prio,seq,usec,flags;".
  if (const auto semi = record.find(';'); semi != std::string_view::npos && semi < 64) {
    const std::string_view head = record.substr(0, semi);
    if (!head.empty() && head.find_first_not_of("0123456789,-+c") == std::string_view::npos)
      record.remove_prefix(semi + 1);
  }
  while (!record.empty() && (record.back() == '\n' || record.back() == '\r'))
    record.remove_suffix(1);
  // Linux >= 4.19: one line per kill.
  if (const auto p = record.find("oom-kill:"); p != std::string_view::npos) {
    const std::string_view fields = record.substr(p + 9);
    auto task = valueOf(fields, "task_memcg=");
    if (!task || task->empty()) return std::nullopt;
    OomKill k;
    k.taskMemcg = std::string(*task);
    if (auto oom = valueOf(fields, "oom_memcg=")) k.oomMemcg = std::string(*oom);
    if (auto name = valueOf(fields, "task=")) k.task = std::string(*name);
    if (auto pid = valueOf(fields, "pid="))
      k.pid = static_cast<std::int64_t>(parseUint(*pid).value_or(0));
    return k;
  }
  // Older kernels: "Task in /a/b killed as a result of limit of /a".
  constexpr std::string_view kTaskIn = "Task in ";
  constexpr std::string_view kKilled = " killed as a result of limit of ";
  if (const auto p = record.find(kTaskIn); p != std::string_view::npos) {
    const std::string_view rest = record.substr(p + kTaskIn.size());
    const auto k = rest.find(kKilled);
    if (k == std::string_view::npos || k == 0) return std::nullopt;
    OomKill kill;
    kill.taskMemcg = std::string(rest.substr(0, k));
    kill.oomMemcg = std::string(rest.substr(k + kKilled.size()));
    return kill;
  }
  return std::nullopt;
}

KernelOomWatcher::~KernelOomWatcher() {
  if (fd_ >= 0) ::close(fd_);
}

Status KernelOomWatcher::open() {
  if (fd_ >= 0) return okStatus();
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    return makeError("cannot read the kernel log " + path_ + ": " + describeErrno(err), err);
  }
  return okStatus();
}

void KernelOomWatcher::consumeLines(std::vector<OomKill>& out) {
  std::size_t start = 0;
  for (;;) {
    const auto nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    const std::string_view line(pending_.data() + start, nl - start);
    start = nl + 1;
    // /dev/kmsg continuation lines (" SUBSYSTEM=...") start with a space.
    if (line.empty() || line.front() == ' ') continue;
    ++records_;
    if (auto k = parseOomKillRecord(line)) out.push_back(std::move(*k));
  }
  pending_.erase(0, start);
  // A line longer than any kernel record: drop it rather than grow without bound.
  if (pending_.size() > 64 * 1024) pending_.clear();
}

std::vector<OomKill> KernelOomWatcher::poll() {
  std::vector<OomKill> out;
  if (fd_ < 0) return out;
  char buf[8192];  // /dev/kmsg hands out one record per read; it must fit
  for (std::size_t reads = 0; reads < kMaxRecordsPerPoll; ++reads) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      pending_.append(buf, static_cast<std::size_t>(n));
      consumeLines(out);
      continue;
    }
    if (n == 0) break;  // a plain file's end
    if (errno == EINTR) continue;
    if (errno == EPIPE) {  // the kernel overwrote records we had not read yet
      ++lost_;
      continue;
    }
    if (errno != EAGAIN) {
      LG_LOG(warn, "kernel log read failed", {{"path", path_}, {"error", describeErrno(errno)}});
    }
    break;
  }
  return out;
}

}  // namespace lg::agent
