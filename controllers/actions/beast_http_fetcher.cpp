#include "controllers/actions/beast_http_fetcher.h"

#include <array>

#include "operator/kube/http_connection.h"
#include "operator/kube/server_url.h"

namespace lg::actions {

namespace http = boost::beast::http;

Result<FetchResponse> BeastHttpFetcher::get(const FetchRequest& req) {
  const auto deadline = std::chrono::steady_clock::now() + req.timeout;
  const std::string hostPort =
      (req.host.find(':') != std::string::npos ? "[" + req.host + "]" : req.host) + ":" +
      std::to_string(req.port);
  auto url = kube::parseServerUrl("http://" + hostPort);
  if (!url) return url.error();
  auto conn = kube::HttpConnection::open(*url, nullptr, deadline);
  if (!conn) return makeError("GET " + hostPort + req.path + ": " + conn.error().message);

  http::request<http::string_body> request{http::verb::get, req.path, 11};
  request.set(http::field::host, url->hostHeader);
  request.set(http::field::user_agent, "leakguard-controller");
  request.keep_alive(false);
  if (auto st = (*conn)->write(request, deadline); !st)
    return makeError("GET " + hostPort + req.path + ": " + st.error().message);

  http::response_parser<http::buffer_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(boost::none);  // we stop reading at maxBytes ourselves
  if (auto st = (*conn)->readHeader(parser, deadline); !st)
    return makeError("GET " + hostPort + req.path + ": " + st.error().message);

  FetchResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.contentType = std::string(parser.get()[http::field::content_type]);
  std::array<char, 16 * 1024> buf{};
  while (!parser.is_done()) {
    if (out.body.size() >= req.maxBytes) {
      out.truncated = true;
      break;
    }
    auto n = (*conn)->readSome(parser, buf.data(), buf.size(), deadline);
    if (!n) {
      // A body cut short by the deadline or the pod still tells something: keep what came.
      if (out.body.empty())
        return makeError("GET " + hostPort + req.path + ": " + n.error().message);
      out.truncated = true;
      break;
    }
    const std::size_t room = req.maxBytes - out.body.size();
    out.body.append(buf.data(), std::min(*n, room));
    if (*n > room) out.truncated = true;
  }
  return out;
}

}  // namespace lg::actions
