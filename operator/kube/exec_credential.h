#pragma once
// Kubeconfig exec credential plugins (users[].user.exec): runs the command with its args and
// env, reads the ExecCredential it prints (client.authentication.k8s.io/v1 or v1beta1) and
// caches it until status.expirationTimestamp. The token never appears in errors or logs;
// error messages carry the plugin's exit status and the start of its stderr.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::kube {

struct ExecConfig {
  std::string command;  // resolved against the kubeconfig's directory if it holds a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string apiVersion;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string installHint;
  std::string interactiveMode;  // "Never", "IfAvailable", "Always" ("" for v1beta1)
  // provideClusterInfo: the cluster is passed to the plugin in KUBERNETES_EXEC_INFO.
  bool provideClusterInfo = false;
  std::string server;
  std::string caData;  // PEM
  std::string tlsServerName;
  bool insecureSkipVerify = false;
};

struct ExecCredential {
  std::string token;
  std::string clientCertificateData;  // PEM
  std::string clientKeyData;          // PEM
  std::optional<Clock::time_point> expiry;
};

// Parses a plugin's stdout. `apiVersion` is what the kubeconfig asked for; the plugin must
// answer in the same version. Errors never quote the input (it holds credentials).
Result<ExecCredential> parseExecCredential(std::string_view output, std::string_view apiVersion);

// Thread-safe: one plugin run at a time; concurrent callers wait for it and share its result.
class ExecCredentialPlugin {
 public:
  ExecCredentialPlugin(ExecConfig config, const Clock& clock,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // The cached credential while it is valid (its expiry minus a 10 s margin), else a fresh one.
  Result<ExecCredential> get();
  // Forgets the cached credential (after a 401): the next get() runs the plugin.
  void invalidate();
  // How many times the plugin ran (tests check the cache with it).
  int runs() const;

 private:
  Result<ExecCredential> run();

  const ExecConfig config_;
  const Clock& clock_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
};

}  // namespace lg::kube
