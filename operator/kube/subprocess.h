#pragma once
// Runs a helper program (kubeconfig exec credential plugins) with a hard timeout: stdin is
// /dev/null, stdout and stderr are captured up to a size cap, and on timeout the program's
// whole process group is killed. Thread-safe (posix_spawn; no state shared between calls).

#include <chrono>
#include <string>
#include <vector>

#include "operator/util/result.h"

namespace lg::kube {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it holds a '/'
  // Added to (or replacing in) the caller's environment, as "NAME=value".
  std::vector<std::string> extraEnv;
  std::chrono::milliseconds timeout{30000};
  size_t maxOutputBytes = 1 << 20;  // per stream; more is an error
};

struct ProcessResult {
  int exitCode = -1;   // -1 when killed by a signal
  int termSignal = 0;  // the signal when killed
  std::string out;
  std::string err;
};

// An Error when the program could not be started, overran the timeout or its output cap
// (the message says which); otherwise how it ended and what it printed.
Result<ProcessResult> runProcess(const ProcessOptions& options);

}  // namespace lg::kube
