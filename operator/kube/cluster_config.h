#pragma once
// Where the API server is and how to authenticate to it: what a kubeconfig context or the
// in-cluster service account resolves to, and all HttpApiClient needs.
//
// loadConfig() picks the source the way kubectl and client-go do:
//   --kubeconfig flag  >  $KUBECONFIG  >  in-cluster service account  >  ~/.kube/config
// Errors name the file and the missing or bad field.

#include <functional>
#include <optional>
#include <string>

#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::kube {

// Reads an environment variable; injected so tests never touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The real environment (getenv).
EnvLookup processEnv();

struct ClientCertificate {
  std::string certPem;
  std::string keyPem;
};

// A bearer token, asked for on every request so rotated tokens (projected service account
// tokens, exec plugins) take effect. Must be thread-safe and cheap (cache inside).
using TokenSource = std::function<Result<std::string>()>;
// A client certificate that can change over time (exec plugins). Same rules as TokenSource.
using CertificateSource = std::function<Result<ClientCertificate>()>;

struct ClusterConfig {
  // "https://host:port", optionally with a path prefix ("https://proxy/k8s/clusters/c-1").
  // "http://" is accepted for tests against a local server.
  std::string server;
  std::string caData;          // PEM bundle; "" means the system's trust store
  std::string clientCertData;  // PEM; "" for none
  std::string clientKeyData;   // PEM; set together with clientCertData
  TokenSource tokenSource;     // empty: no Authorization header
  // Set when the client certificate comes from an exec plugin; overrides clientCert/KeyData.
  CertificateSource certificateSource;
  // Drops cached credentials (exec plugins) after the server answered 401; may be empty.
  std::function<void()> invalidateCredentials;
  bool insecureSkipVerify = false;  // never verify the server certificate (tests only)
  std::string tlsServerName;        // the name to verify (and send as SNI) instead of the host
  std::string ns;                   // the context's namespace, or the pod's; "" if unspecified
  std::string origin;               // for messages: "kubeconfig /root/.kube/config context x"
};

inline constexpr const char* kServiceAccountRoot = "/var/run/secrets/kubernetes.io/serviceaccount";

struct ConfigSources {
  std::string kubeconfigFlag;  // --kubeconfig; "" when not given
  std::string context;         // --context; "" for the kubeconfig's current-context
  EnvLookup env = processEnv();
  std::string serviceAccountRoot = kServiceAccountRoot;
  const Clock* clock = &SystemClock::instance();  // must outlive the config's sources
};

// The first config source that applies (see above). The error lists what was tried.
Result<ClusterConfig> loadConfig(const ConfigSources& sources);
Result<ClusterConfig> loadConfig(const std::string& kubeconfigFlag,
                                 const EnvLookup& env = processEnv());

}  // namespace lg::kube
