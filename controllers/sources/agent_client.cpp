#include "controllers/sources/agent_client.h"

#include "operator/kube/server_url.h"
#include "operator/util/read_file.h"

namespace lg::sources {
namespace {

namespace http = boost::beast::http;

std::string hostPort(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<AgentClient>> AgentClient::create(AgentClientOptions opts) {
  std::string ca;
  if (!opts.caFile.empty()) {
    auto read = readWholeFile(opts.caFile);
    if (!read) return makeError("cannot read the agent CA file " + opts.caFile);
    ca = std::move(*read);
    if (ca.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
      return makeError("no PEM certificate in the agent CA file " + opts.caFile);
  }
  std::unique_ptr<AgentClient> c(new AgentClient(std::move(opts), std::move(ca)));
  // Check the CA parses now rather than at the first poll.
  auto url = kube::parseServerUrl("https://127.0.0.1:1");
  if (!url) return url.error();
  if (auto t = c->tlsFor(*url, c->opts_.serverName.find("{node}") == std::string::npos
                                   ? c->opts_.serverName
                                   : expandServerName(c->opts_.serverName, "node"));
      !t)
    return t.error();
  return c;
}

AgentClient::AgentClient(AgentClientOptions opts, std::string caPem)
    : opts_(std::move(opts)), caPem_(std::move(caPem)) {}

std::string expandServerName(std::string_view pattern, std::string_view node) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size();) {
    if (pattern.substr(i, 6) == "{node}") {
      out += node;
      i += 6;
    } else {
      out += pattern[i++];
    }
  }
  return out;
}

Result<std::shared_ptr<kube::TlsContext>> AgentClient::tlsFor(const kube::ServerUrl& url,
                                                              const std::string& serverName) {
  const std::string name = serverName.empty() ? url.host : serverName;
  std::lock_guard g(mu_);
  auto it = tls_.find(name);
  if (it != tls_.end()) return it->second;
  kube::ClusterConfig cfg;
  cfg.caData = caPem_;
  cfg.insecureSkipVerify = caPem_.empty();
  cfg.tlsServerName = serverName;
  auto t = kube::TlsContext::create(cfg, url, {});
  if (!t) return makeError("agent TLS settings: " + t.error().message);
  // Bounded: one context per verified name (one in all when serverName is fixed, one per
  // node with {node}).
  if (tls_.size() >= 4096) tls_.clear();
  tls_[name] = *t;
  return *t;
}

Result<std::string> AgentClient::get(const std::string& host, std::uint16_t port,
                                     const std::string& target, const std::string& token,
                                     const std::string& node) {
  return request(false, host, port, target, "", token, node);
}

Result<std::string> AgentClient::post(const std::string& host, std::uint16_t port,
                                      const std::string& target, const std::string& body,
                                      const std::string& token, const std::string& node) {
  return request(true, host, port, target, body, token, node);
}

Result<std::string> AgentClient::request(bool post, const std::string& host, std::uint16_t port,
                                         const std::string& target, const std::string& body,
                                         const std::string& token, const std::string& node) {
  const auto deadline = std::chrono::steady_clock::now() + opts_.timeout;
  const std::string where = hostPort(host, port);
  auto url = kube::parseServerUrl("https://" + where);
  if (!url) return url.error();
  const bool perNode = opts_.serverName.find("{node}") != std::string::npos;
  if (perNode && node.empty())
    return makeError("agent " + where + ": no node name to check its certificate against");
  const std::string serverName =
      perNode ? expandServerName(opts_.serverName, node) : opts_.serverName;
  auto tls = tlsFor(*url, serverName);
  if (!tls) return tls.error();
  // An idle connection was verified for one name: another node's agent at the same address
  // (a pod IP reused) does not get it.
  const std::string idleKey = where + " " + serverName;

  std::unique_ptr<kube::HttpConnection> conn;
  {
    std::lock_guard g(mu_);
    if (auto it = idle_.find(idleKey); it != idle_.end()) {
      conn = std::move(it->second);
      idle_.erase(it);
    }
  }
  if (conn && conn->unusable()) conn.reset();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = conn != nullptr;
    if (!conn) {
      auto c = kube::HttpConnection::open(*url, *tls, deadline);
      if (!c) return makeError("agent " + where + ": " + c.error().message);
      conn = std::move(*c);
    }
    http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, url->hostHeader);
    req.set(http::field::user_agent, "leakguard-controller");
    req.set(http::field::accept, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (post) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    req.keep_alive(true);
    if (auto st = conn->write(req, deadline); !st) {
      conn.reset();
      if (reused) continue;  // the agent closed the idle connection: once more on a new one
      return makeError("agent " + where + ": " + st.error().message);
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(opts_.maxResponseBytes);
    if (auto st = conn->read(parser, deadline); !st) {
      conn.reset();
      if (reused) continue;
      return makeError("agent " + where + ": " + st.error().message);
    }
    auto res = parser.release();
    const int status = res.result_int();
    if (res.keep_alive()) {
      std::lock_guard g(mu_);
      if (idle_.size() < 4096) idle_[idleKey] = std::move(conn);
    }
    if (status < 200 || status > 299) {
      std::string said = res.body().substr(0, 200);
      while (!said.empty() && (said.back() == '\n' || said.back() == '\r'))
        said.pop_back();
      return makeError("agent " + where + " answered " + std::to_string(status) + ": " + said,
                       status);
    }
    return std::move(res.body());
  }
  return makeError("agent " + where + ": connection closed");
}

Result<agent::SamplesPage> AgentClient::fetchSamples(const std::string& host, std::uint16_t port,
                                                     std::uint64_t since, const std::string& token,
                                                     std::size_t limit, const std::string& node) {
  std::string target = "/v1/samples?since=" + std::to_string(since);
  if (limit > 0) target += "&limit=" + std::to_string(limit);
  auto body = get(host, port, target, token, node);
  if (!body) return body.error();
  auto page = agent::parseSamplesPage(*body);
  if (!page) return makeError("agent " + hostPort(host, port) + ": " + page.error().message);
  return page;
}

}  // namespace lg::sources
