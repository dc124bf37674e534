#include "controllers/agent/file_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lg::agent {

std::string describeErrno(int err) {
  if (err == ENOENT) return "missing";
  if (err == EFBIG) return "too large";
  return std::strerror(err);
}

Result<std::string_view> FileReader::read(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return makeError(path + ": " + describeErrno(err), err);
  }
  // Kernel files report size 0 or 4096 whatever they hold: read until EOF.
  if (buf_.size() < 4096) buf_.resize(4096);
  std::size_t used = 0;
  for (;;) {
    if (used == buf_.size()) {
      if (buf_.size() >= maxBytes_) {
        ::close(fd);
        return makeError(path + ": " + describeErrno(EFBIG), EFBIG);
      }
      buf_.resize(std::min(buf_.size() * 2, maxBytes_));
    }
    const ssize_t n = ::read(fd, buf_.data() + used, buf_.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return makeError(path + ": " + describeErrno(err), err);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return std::string_view(buf_.data(), used);
}

Result<std::size_t> FileReader::countEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    const int err = errno;
    return makeError(dir + ": " + describeErrno(err), err);
  }
  std::size_t n = 0;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.' &&
        (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0')))
      continue;
    ++n;
  }
  const int err = errno;
  ::closedir(d);
  // A process that exits while we list its fds: its directory goes away under us.
  if (err != 0) return makeError(dir + ": " + describeErrno(err), err);
  return n;
}

}  // namespace lg::agent
