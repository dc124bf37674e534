// A LeakPolicy's selector (matchLabels + matchExpressions), as a tenant may write it: parsed,
// matched against labels, and written back in the API's string form.
#include <map>
#include <string>

#include "controllers/policy/label_selector.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = lg::fuzz::asJson(data, size);
  if (!j) return 0;
  auto selector = lg::policy::LabelSelector::parse(*j);
  if (!selector.ok()) return 0;
  static const std::map<std::string, std::string> labels{
      {"app", "checkout"}, {"tier", "web"}, {"", ""}};
  (void)selector->matches(labels);
  (void)selector->matches({});
  (void)selector->toString();
  return 0;
}
