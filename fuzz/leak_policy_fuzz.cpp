// A LeakPolicy as a tenant may write it and the API server may pass it on (the CRD's schema
// stops most mistakes; a policy applied before a schema change, or a field the schema leaves
// open, reaches the parser as is). Checked with the real playbook actions' params.
#include "controllers/actions/action_registry.h"
#include "controllers/actions/default_actions.h"
#include "controllers/actions/http_fetcher.h"
#include "controllers/policy/leak_policy.h"
#include "fuzz/fuzz_input.h"

namespace {
// Parsing a policy never fetches; a step's run would, and no step runs here.
class NoFetcher final : public lg::actions::HttpFetcher {
 public:
  lg::Result<lg::actions::FetchResponse> get(const lg::actions::FetchRequest&) override {
    return lg::makeError("no fetches while fuzzing");
  }
};

const lg::actions::ActionRegistry& registry() {
  static NoFetcher fetcher;
  static const auto* r = [] {
    auto* reg = new lg::actions::ActionRegistry();
    lg::actions::registerDefaultActions(*reg, fetcher);
    return reg;
  }();
  return *r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = lg::fuzz::asJson(data, size);
  if (!j) return 0;
  auto parsed = lg::policy::parseLeakPolicy(*j, registry());
  // A policy that cannot be used says why.
  LG_FUZZ_CHECK(parsed.usable() || !parsed.summary().empty());
  return 0;
}
