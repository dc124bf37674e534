#pragma once

namespace lg::cli {

// The version baked in at build time (git describe), e.g. "0.1.0 (a9503c4)".
const char* versionString();
// Its parts: "0.1.0" and the git revision "a9503c4" (for leakguard_build_info).
const char* versionNumber();
const char* gitRevision();

}  // namespace lg::cli
