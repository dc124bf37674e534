#include "controllers/agent/token_authenticator.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "operator/util/logger.h"

namespace lg::agent {

std::string_view toString(AuthResult::Outcome o) {
  switch (o) {
    case AuthResult::Outcome::kAllowed:
      return "allowed";
    case AuthResult::Outcome::kUnauthenticated:
      return "unauthenticated";
    case AuthResult::Outcome::kForbidden:
      return "forbidden";
    case AuthResult::Outcome::kUnavailable:
      return "unavailable";
  }
  return "?";
}

std::optional<std::string_view> bearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i])
      return std::nullopt;
  std::string_view t = authorization.substr(kScheme.size());
  while (!t.empty() && t.front() == ' ')
    t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ')
    t.remove_suffix(1);
  if (t.empty() || t.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  return t;
}

std::size_t TokenAuthenticator::DigestHash::operator()(const Digest& d) const {
  std::size_t h;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

TokenAuthenticator::TokenAuthenticator(kube::ApiClient& api, const Clock& clock,
                                       TokenAuthenticatorOptions opts)
    : api_(api), clock_(clock), opts_(std::move(opts)) {}

AuthResult TokenAuthenticator::authenticate(std::string_view token) {
  if (token.empty()) return {AuthResult::Outcome::kUnauthenticated, "", "no bearer token"};
  Digest digest{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest.data(), &len, EVP_sha256(), nullptr);
  const auto now = clock_.steadyNow();
  {
    std::lock_guard g(mu_);
    auto it = cache_.find(digest);
    if (it != cache_.end()) {
      if (it->second.expires > now) {
        AuthResult r = it->second.result;
        r.cached = true;
        return r;
      }
      cache_.erase(it);
    }
  }
  AuthResult r = review(token);
  if (r.outcome == AuthResult::Outcome::kUnavailable) return r;
  std::lock_guard g(mu_);
  if (cache_.size() >= opts_.maxEntries) {
    std::erase_if(cache_, [&](const auto& e) { return e.second.expires <= now; });
    // Still full (many distinct live tokens: someone probing): start over rather than grow.
    if (cache_.size() >= opts_.maxEntries) cache_.clear();
  }
  cache_[digest] = Entry{r, now + opts_.cacheTtl};
  return r;
}

AuthResult TokenAuthenticator::review(std::string_view token) {
  ++reviews_;
  nlohmann::json body = {{"apiVersion", "authentication.k8s.io/v1"},
                         {"kind", "TokenReview"},
                         {"spec", {{"token", std::string(token)}}}};
  if (!opts_.audiences.empty()) body["spec"]["audiences"] = opts_.audiences;
  const kube::ResourceRef ref{
      .group = "authentication.k8s.io", .version = "v1", .resource = "tokenreviews"};
  auto res = api_.create(ref, body, {.timeout = opts_.timeout});
  if (!res) {
    LG_LOG(warn, "TokenReview failed",
           {{"error", res.error().message}, {"code", res.error().code}});
    return {AuthResult::Outcome::kUnavailable, "", "cannot verify the token now"};
  }
  const nlohmann::json& status =
      res->contains("status") && (*res)["status"].is_object() ? (*res)["status"] : nlohmann::json();
  const auto auth = status.is_object() ? status.find("authenticated") : status.end();
  const bool authenticated =
      status.is_object() && auth != status.end() && auth->is_boolean() && auth->get<bool>();
  if (!authenticated) {
    return {AuthResult::Outcome::kUnauthenticated, "", "token not authenticated"};
  }
  if (!opts_.audiences.empty()) {
    bool match = false;
    if (auto a = status.find("audiences"); a != status.end() && a->is_array()) {
      for (const auto& aud : *a)
        if (aud.is_string() && std::find(opts_.audiences.begin(), opts_.audiences.end(),
                                         aud.get<std::string>()) != opts_.audiences.end())
          match = true;
    }
    if (!match) return {AuthResult::Outcome::kUnauthenticated, "", "token not for this audience"};
  }
  std::string user;
  if (auto u = status.find("user"); u != status.end() && u->is_object()) {
    if (auto n = u->find("username"); n != u->end() && n->is_string()) user = n->get<std::string>();
  }
  if (std::find(opts_.allowedUsers.begin(), opts_.allowedUsers.end(), user) ==
      opts_.allowedUsers.end()) {
    return {AuthResult::Outcome::kForbidden, user, user + " may not read this agent"};
  }
  return {AuthResult::Outcome::kAllowed, user, ""};
}

}  // namespace lg::agent
