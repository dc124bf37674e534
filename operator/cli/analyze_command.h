#pragma once
// `leakguard analyze FILE.csv...`: replays each trace through the operator's online detector and
// prints one JSON object per file per line (contract: README.md, "Usage traces"). A file that
// cannot be read or parsed is reported on stderr with its line, gets a JSON line with an "error"
// field, and does not stop the others. Returns the process exit code (0, or 1 if any file failed).

#include <iosfwd>
#include <string>
#include <vector>

#include "controllers/detect/detector_options.h"

namespace lg::cli {

int runAnalyze(const std::vector<std::string>& files, const detect::DetectorOptions& opts,
               std::ostream& out, std::ostream& err);

}  // namespace lg::cli
