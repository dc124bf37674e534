#pragma once
// Reads a usage trace in the CSV format of README.md ("Usage traces"):
//   timestamp,working_set_bytes,anon_bytes,file_bytes,shmem_bytes,limit_bytes,open_fds,
//   fd_limit,threads,threads_limit
// Columns are found by name (order and extra columns do not matter); only `timestamp` is
// required. An empty cell means "not known" and is NaN in the result. Errors name the line and
// the column. Pure parsing (parseTrace) is apart from the file read (readTrace).

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::detect {

struct TraceRow {
  double timestamp = NAN;
  double workingSet = NAN;
  double anon = NAN;
  double file = NAN;
  double shmem = NAN;
  double limit = NAN;
  double openFds = NAN;
  double fdLimit = NAN;
  double threads = NAN;
  double threadsLimit = NAN;
};

struct Trace {
  std::vector<TraceRow> rows;
  bool hasAnon = false;  // some row carries anon_bytes: memory is judged on it
};

// `origin` names the input in error messages ("file.csv:12: ...").
Result<Trace> parseTrace(std::string_view text, std::string_view origin);
Result<Trace> readTrace(const std::string& path);

}  // namespace lg::detect
