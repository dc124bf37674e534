#include "operator/cli/version.h"

namespace lg::cli {

const char* versionString() {
  return LEAKGUARD_VERSION " (" LEAKGUARD_GIT ")";
}

}  // namespace lg::cli
