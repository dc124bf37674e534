// A request to the agent's port, as any pod that reaches it may send: HTTP parsed with the
// agent's limits (Beast's parser, as agent_server.cpp sets it up), made the server's HttpRequest
// (toHttpRequest), and its query parameters and bearer token read as the agent's routes do.
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
  const auto a = req.find(http::field::authorization);
  const auto hr = lg::agent::toHttpRequest(
      req.method_string(), req.target(),
      a == req.end() ? std::string_view() : std::string_view(a->value().data(), a->value().size()),
      "");
  LG_FUZZ_CHECK(hr.path.find('?') == std::string::npos);
  if (auto since = lg::agent::queryParam(hr.query, "since")) (void)lg::agent::parseUint(*since);
  if (auto limit = lg::agent::queryParam(hr.query, "limit")) (void)lg::agent::parseUint(*limit);
  if (auto token = lg::agent::bearerToken(hr.authorization)) LG_FUZZ_CHECK(!token->empty());
  return 0;
}
