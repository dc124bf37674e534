#include "operator/kube/exec_credential.h"

#include <nlohmann/json.hpp>

#include "operator/kube/base64.h"
#include "operator/kube/rfc3339.h"
#include "operator/kube/subprocess.h"
#include "operator/util/logger.h"

namespace lg::kube {
namespace {

constexpr std::string_view kV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kV1beta1 = "client.authentication.k8s.io/v1beta1";
constexpr auto kExpirySkew = std::chrono::seconds(10);

std::string stringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first line(s) of stderr, short enough for an error message.
std::string stderrExcerpt(const std::string& err) {
  std::string s = err.substr(0, 512);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

Result<ExecCredential> parseExecCredential(std::string_view output, std::string_view apiVersion) {
  const nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return makeError("exec plugin output is not a JSON object");
  }
  const std::string kind = stringField(doc, "kind");
  if (kind != "ExecCredential") {
    return makeError("exec plugin output has kind \"" + kind + "\", want ExecCredential");
  }
  const std::string version = stringField(doc, "apiVersion");
  if (version != apiVersion) {
    return makeError("exec plugin is configured for " + std::string(apiVersion) +
                     " but returned apiVersion \"" + version + "\"");
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return makeError("exec plugin output has no status");
  }
  ExecCredential cred;
  cred.token = stringField(*status, "token");
  cred.clientCertificateData = stringField(*status, "clientCertificateData");
  cred.clientKeyData = stringField(*status, "clientKeyData");
  if (cred.clientCertificateData.empty() != cred.clientKeyData.empty()) {
    return makeError(
        "exec plugin status must set both clientCertificateData and clientKeyData, or neither");
  }
  if (cred.token.empty() && cred.clientCertificateData.empty()) {
    return makeError("exec plugin status has neither a token nor a client certificate");
  }
  const std::string expiry = stringField(*status, "expirationTimestamp");
  if (!expiry.empty()) {
    auto t = parseRfc3339(expiry);
    if (!t) return makeError("exec plugin status.expirationTimestamp: " + t.error().message);
    cred.expiry = *t;
  }
  return cred;
}

ExecCredentialPlugin::ExecCredentialPlugin(ExecConfig config, const Clock& clock,
                                           std::chrono::milliseconds timeout)
    : config_(std::move(config)), clock_(clock), timeout_(timeout) {}

Result<ExecCredential> ExecCredentialPlugin::get() {
  std::lock_guard lock(mu_);
  if (cached_ && (!cached_->expiry || clock_.now() + kExpirySkew < *cached_->expiry)) {
    return *cached_;
  }
  cached_.reset();
  auto cred = run();
  if (cred) cached_ = *cred;
  return cred;
}

void ExecCredentialPlugin::invalidate() {
  std::lock_guard lock(mu_);
  cached_.reset();
}

int ExecCredentialPlugin::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

Result<ExecCredential> ExecCredentialPlugin::run() {
  ++runs_;
  const std::string name = "exec plugin \"" + config_.command + "\"";
  if (config_.apiVersion != kV1 && config_.apiVersion != kV1beta1) {
    return makeError(name + ": unsupported apiVersion \"" + config_.apiVersion + "\" (want " +
                     std::string(kV1) + " or " + std::string(kV1beta1) + ")");
  }
  if (config_.interactiveMode == "Always") {
    return makeError(name + ": interactiveMode Always needs a terminal, and leakguard has none");
  }
  nlohmann::json info = {{"apiVersion", config_.apiVersion},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (config_.provideClusterInfo) {
    nlohmann::json cluster = {{"server", config_.server}};
    if (!config_.tlsServerName.empty()) cluster["tls-server-name"] = config_.tlsServerName;
    if (config_.insecureSkipVerify) cluster["insecure-skip-tls-verify"] = true;
    if (!config_.caData.empty()) {
      cluster["certificate-authority-data"] = base64Encode(config_.caData);
    }
    info["spec"]["cluster"] = cluster;
  }
  ProcessOptions opts;
  opts.argv = {config_.command};
  opts.timeout = timeout_;
  opts.argv.insert(opts.argv.end(), config_.args.begin(), config_.args.end());
  for (const auto& [k, v] : config_.env)
    opts.extraEnv.push_back(k + "=" + v);
  opts.extraEnv.push_back("KUBERNETES_EXEC_INFO=" + info.dump());

  auto proc = runProcess(opts);
  if (!proc) {
    std::string msg = name + ": " + proc.error().message;
    if (!config_.installHint.empty()) msg += "\n" + config_.installHint;
    LG_LOG(warn, "exec credential plugin failed", {{"command", config_.command}});
    return makeError(msg);
  }
  if (proc->exitCode != 0) {
    std::string msg =
        name + (proc->termSignal ? ": killed by signal " + std::to_string(proc->termSignal)
                                 : ": exit status " + std::to_string(proc->exitCode));
    const std::string err = stderrExcerpt(proc->err);
    if (!err.empty()) msg += ": " + err;
    LG_LOG(warn, "exec credential plugin failed",
           {{"command", config_.command}, {"exitCode", proc->exitCode}});
    return makeError(msg);
  }
  auto cred = parseExecCredential(proc->out, config_.apiVersion);
  if (!cred) return makeError(name + ": " + cred.error().message);
  LG_LOG(debug, "exec credential plugin ran",
         {{"command", config_.command},
          {"expiry", cred->expiry ? formatRfc3339(*cred->expiry) : std::string("none")}});
  return cred;
}

}  // namespace lg::kube
