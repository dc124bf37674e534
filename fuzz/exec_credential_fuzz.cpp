// What a kubeconfig's exec plugin prints (client.authentication.k8s.io ExecCredential), and the
// base64 of the kubeconfig's *-data fields.
#include <string>

#include "fuzz/fuzz_input.h"
#include "operator/kube/base64.h"
#include "operator/kube/exec_credential.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  for (const char* version :
       {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    if (auto c = lg::kube::parseExecCredential(text, version); c.ok()) {
      // A credential is a token or a client certificate with its key.
      LG_FUZZ_CHECK(!c->token.empty() ||
                    (!c->clientCertificateData.empty() && !c->clientKeyData.empty()));
    }
  }
  (void)lg::kube::base64Decode(text);
  // Whatever is encoded decodes back to itself.
  auto back = lg::kube::base64Decode(lg::kube::base64Encode(text));
  LG_FUZZ_CHECK(back.ok() && *back == text);
  return 0;
}
