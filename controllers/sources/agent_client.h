#pragma once
// AgentClient: the controller's HTTPS client of the node agents (GET /v1/samples, and the
// detection routes of agents that detect: reconcile/agent_detection.h).
//
// Trust model of the channel (see also controllers/agent/token_authenticator.h):
// - The controller authenticates to an agent with a bearer token: by default a projected
//   ServiceAccount token with audience "leakguard-agent", which the agent verifies with a
//   TokenReview and accepts only for the allowed ServiceAccount. Such a token is useless against
//   the API server, so an impostor that receives it gains nothing beyond reading other agents.
// - The controller authenticates the agent by its TLS certificate when given a CA file
//   (caFile): the certificate must chain to that CA and carry serverName (default
//   "leakguard-agent") as a DNS name, or, with an empty serverName, the endpoint's IP. In
//   serverName, "{node}" stands for the node of the agent asked: with per-node certificates
//   ("{node}.leakguard-agent", controllers/agent/certificate_request.h) an agent can answer
//   only as the agent of its own node. Without
//   a CA file the channel is encrypted but the agent is not verified: anyone who can answer at
//   an agent pod's IP could feed the controller false samples (not steal a usable token).
// - Endpoints come only from pods in the agent's namespace (see AgentSource), not from any
//   pod that carries the agent's label.
//
// Deadlines: one per request covering connect, TLS, sending and the whole response. Responses
// over maxResponseBytes are errors. Keeps one idle keep-alive connection per agent.
// Thread-safe: concurrent fetches (to the same or different agents) each use a connection of
// their own.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "controllers/agent/agent_sample.h"
#include "operator/kube/http_connection.h"
#include "operator/kube/tls_context.h"
#include "operator/util/result.h"

namespace lg::sources {

// `pattern` with every "{node}" replaced by `node`.
std::string expandServerName(std::string_view pattern, std::string_view node);

struct AgentClientOptions {
  std::string caFile;                          // PEM bundle; "" : do not verify agents
  std::string serverName = "leakguard-agent";  // "" : the endpoint's IP; {node}: its node
  std::chrono::milliseconds timeout{10000};
  std::size_t maxResponseBytes = 64u << 20;
};

class AgentClient {
 public:
  // Error: the CA file cannot be read or parsed.
  static Result<std::unique_ptr<AgentClient>> create(AgentClientOptions opts);

  // One page of samples from the agent at host:port. Error::code is the HTTP status when the
  // agent answered (401, 403, 503, ...), 0 when it could not be reached or its answer was not
  // a samples page. `node`: the agent's node (required when serverName has {node}).
  Result<agent::SamplesPage> fetchSamples(const std::string& host, std::uint16_t port,
                                          std::uint64_t since, const std::string& token,
                                          std::size_t limit = 0, const std::string& node = "");
  // GET of any path; the body on 2xx.
  Result<std::string> get(const std::string& host, std::uint16_t port, const std::string& target,
                          const std::string& token, const std::string& node = "");
  // POST of a JSON body; the answer's body on 2xx.
  Result<std::string> post(const std::string& host, std::uint16_t port, const std::string& target,
                           const std::string& body, const std::string& token,
                           const std::string& node = "");

  bool verifiesAgents() const { return !opts_.caFile.empty(); }

 private:
  explicit AgentClient(AgentClientOptions opts, std::string caPem);
  Result<std::string> request(bool post, const std::string& host, std::uint16_t port,
                              const std::string& target, const std::string& body,
                              const std::string& token, const std::string& node);
  Result<std::shared_ptr<kube::TlsContext>> tlsFor(const kube::ServerUrl& url,
                                                   const std::string& serverName);

  const AgentClientOptions opts_;
  const std::string caPem_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<kube::TlsContext>> tls_;       // by verify name
  std::map<std::string, std::unique_ptr<kube::HttpConnection>> idle_;  // by host:port name
};

}  // namespace lg::sources
