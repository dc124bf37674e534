#pragma once
// The API server's address from ClusterConfig::server, and query string encoding. Pure.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/util/result.h"

namespace lg::kube {

struct ServerUrl {
  bool tls = true;
  std::string host;        // without IPv6 brackets: "198.18.255.1", "::1", "api.example"
  std::string port;        // "6443"; the scheme's default when the URL has none
  std::string basePath;    // "" or a prefix without trailing slash: "/k8s/clusters/c-1"
  std::string hostHeader;  // as written in the URL: "[::1]:6443"
  bool hostIsIp = false;   // IPv4 or IPv6 literal: verified as an IP SAN, sent without SNI
};

// "https://host:port/prefix"; "host:port" alone means https (as in client-go); "http://" is
// for tests. Errors name the URL.
Result<ServerUrl> parseServerUrl(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string percentEncode(std::string_view s);
// "?a=1&b=x%3Dy" ("" for no parameters), in the given order.
std::string buildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace lg::kube
