// Kubeconfig files (what `leakguard --kubeconfig` and $KUBECONFIG name). The loader reads a
// path, so each input is written to one temporary file first. Loading never runs an exec
// plugin (that happens on the first request), so an input naming one is harmless here.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fuzz/fuzz_input.h"
#include "operator/kube/kubeconfig.h"

namespace {
const std::string& scratchPath() {
  static const std::string path = [] {
    std::string p = "/tmp/lg-kubeconfig-fuzz-" + std::to_string(::getpid());
    std::atexit([] { std::remove(scratchPath().c_str()); });
    return p;
  }();
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  {
    std::ofstream out(scratchPath(), std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  (void)lg::kube::loadKubeconfig(scratchPath());
  (void)lg::kube::loadKubeconfig(scratchPath(), "prod");
  (void)lg::kube::splitKubeconfigPaths(text);
  return 0;
}
