// A request to the agent's port, as any pod that reaches it may send: HTTP parsed with the
// agent's limits (Beast's parser, as agent_server.cpp sets it up), the target split, the query
// parameters and the bearer token read the way the agent's routes read them.
#include <boost/beast/http.hpp>

#include "controllers/agent/agent_server.h"
#include "controllers/agent/cgroup_parsers.h"
#include "controllers/agent/token_authenticator.h"
#include "fuzz/fuzz_input.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  // Also straight, for the pieces that a parser in front would never let through.
  (void)lg::agent::queryParam(text, "since");
  (void)lg::agent::bearerToken(text);

  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(lg::agent::AgentServerOptions{}.maxRequestBytes));
  parser.body_limit(lg::agent::AgentServerOptions{}.maxRequestBytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(text.data(), text.size()), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& req = parser.get();
  const std::string_view target = req.target();
  const auto q = target.find('?');
  const std::string query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
  if (auto since = lg::agent::queryParam(query, "since")) (void)lg::agent::parseUint(*since);
  if (auto limit = lg::agent::queryParam(query, "limit")) (void)lg::agent::parseUint(*limit);
  if (auto a = req.find(http::field::authorization); a != req.end()) {
    if (auto token = lg::agent::bearerToken(a->value())) LG_FUZZ_CHECK(!token->empty());
  }
  return 0;
}
