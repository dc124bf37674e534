#pragma once
// FileReader: reads small kernel files (cgroup files, /proc/<pid>/...) into one buffer that is
// reused from read to read, so sampling a hundred containers allocates nothing once warm.
// Files bigger than maxBytes are an error (kernel files this agent reads are small; a huge one
// means a wrong path). Not thread-safe: one reader per sampling thread.

#include <cstddef>
#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::agent {

class FileReader {
 public:
  explicit FileReader(std::size_t maxBytes = 1u << 20) : maxBytes_(maxBytes) {}

  // The whole file; the view stays valid until the next read(). Error::code is the errno
  // (ENOENT: missing, EACCES, EFBIG: over maxBytes); the message names the file.
  Result<std::string_view> read(const std::string& path);

  // Number of entries of a directory, "." and ".." excluded (open fds in /proc/<pid>/fd).
  static Result<std::size_t> countEntries(const std::string& dir);

 private:
  std::size_t maxBytes_;
  std::string buf_;
};

// "missing" for ENOENT, else strerror.
std::string describeErrno(int err);

}  // namespace lg::agent
