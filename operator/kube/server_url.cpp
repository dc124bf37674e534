#include "operator/kube/server_url.h"

#include <arpa/inet.h>

namespace lg::kube {
namespace {

bool isIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<ServerUrl> parseServerUrl(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return makeError("server URL \"" + std::string(url) + "\": " + std::string(why));
  };
  ServerUrl u;
  std::string_view rest = url;
  if (const size_t p = rest.find("://"); p != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, p);
    if (scheme == "https") {
      u.tls = true;
    } else if (scheme == "http") {
      u.tls = false;
    } else {
      return bad("scheme must be https (or http)");
    }
    rest.remove_prefix(p + 3);
  }
  const size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("user info is not supported");
  if (authority.empty()) return bad("no host");
  u.hostHeader = std::string(authority);
  std::string_view portText;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in IPv6 host");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 host");
      portText = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':') != colon) return bad("IPv6 hosts must be in brackets");
      portText = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    u.host = std::string(authority);
  }
  if (u.host.empty()) return bad("no host");
  if (!portText.empty()) {
    if (portText.find_first_not_of("0123456789") != std::string_view::npos || portText.size() > 5 ||
        std::stoi(std::string(portText)) > 65535) {
      return bad("bad port");
    }
    u.port = std::string(portText);
  } else {
    u.port = u.tls ? "443" : "80";
  }
  if (path.find_first_of("?#") != std::string_view::npos) return bad("query or fragment");
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  u.basePath = std::string(path);
  u.hostIsIp = isIpLiteral(u.host);
  return u;
}

std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string buildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params) {
    q += q.empty() ? '?' : '&';
    q += percentEncode(k) + "=" + percentEncode(v);
  }
  return q;
}

}  // namespace lg::kube
