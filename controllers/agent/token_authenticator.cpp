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
    case AuthResult::Outcome::kThrottled:
      return "throttled";
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
    : api_(api),
      clock_(clock),
      opts_(std::move(opts)),
      reviewBudget_(clock, opts_.reviewQps, opts_.reviewBurst),
      allowed_(opts_.maxEntries),
      refused_(opts_.maxRefusedEntries) {
  if (opts_.metrics) {
    reviewsByResult_ = &opts_.metrics->counter(
        "leakguard_agent_token_reviews_total",
        "TokenReviews of bearer tokens presented to the agent, by result", {"result"});
    throttledTotal_ = &opts_.metrics
                           ->counter("leakguard_agent_token_reviews_throttled_total",
                                     "Requests refused unreviewed: too many token reviews")
                           .labels({});
  }
}

void TokenAuthenticator::count(const AuthResult& r) {
  if (!reviewsByResult_) return;
  reviewsByResult_
      ->labels({r.outcome == AuthResult::Outcome::kUnavailable ? std::string("failed")
                                                               : std::string(toString(r.outcome))})
      .inc();
}

AuthResult TokenAuthenticator::authenticate(std::string_view token) {
  if (token.empty()) return {AuthResult::Outcome::kUnauthenticated, "", "no bearer token"};
  Digest digest{};
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest.data(), &len, EVP_sha256(), nullptr);
  const auto now = clock_.steadyNow();
  {
    std::lock_guard g(mu_);
    bool allowedBefore = false;
    if (Entry* e = allowed_.find(digest)) {
      if (e->expires > now) {
        AuthResult r = e->result;
        r.cached = true;
        return r;
      }
      allowedBefore = true;
    } else if (Entry* e = refused_.find(digest)) {
      if (e->expires > now) {
        AuthResult r = e->result;
        r.cached = true;
        return r;
      }
      refused_.erase(digest);
    }
    if (!allowedBefore && !reviewBudget_.tryTake()) {
      ++throttled_;
      if (throttledTotal_) throttledTotal_->inc();
      return {AuthResult::Outcome::kThrottled, "", "too many token reviews, retry later"};
    }
  }
  AuthResult r = review(token);
  count(r);
  if (r.outcome == AuthResult::Outcome::kUnavailable) return r;
  std::lock_guard g(mu_);
  if (r.outcome == AuthResult::Outcome::kAllowed) {
    allowed_.put(digest, Entry{r, now + opts_.cacheTtl});
  } else {
    allowed_.erase(digest);  // allowed before, no longer (revoked, or the user changed)
    refused_.put(digest, Entry{r, now + opts_.cacheTtl});
  }
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
