#pragma once

namespace lg::cli {

// The version baked in at build time (git describe), e.g. "0.1.0 (a9503c4)".
const char* versionString();

}  // namespace lg::cli
