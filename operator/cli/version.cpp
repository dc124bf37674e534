#include "operator/cli/version.h"

namespace lg::cli {

const char* versionString() {
  return LEAKGUARD_VERSION " (" LEAKGUARD_GIT ")";
}

const char* versionNumber() {
  return LEAKGUARD_VERSION;
}

const char* gitRevision() {
  return LEAKGUARD_GIT;
}

}  // namespace lg::cli
