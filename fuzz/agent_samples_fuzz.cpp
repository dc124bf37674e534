// A page of samples as an agent answers GET /v1/samples: the controller decodes what any node
// sends it.
#include "controllers/agent/agent_sample.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto page = lg::agent::parseSamplesPage(lg::fuzz::asText(data, size));
  if (page.ok()) {
    // What was decoded encodes again (the agent's own encoder, with its UTF-8 repair).
    for (const auto& s : page->samples) {
      std::string out;
      lg::agent::appendJson(out, s);
      LG_FUZZ_CHECK(!out.empty());
    }
  }
  return 0;
}
