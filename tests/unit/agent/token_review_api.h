#pragma once
// A fake API server for TokenReviews: tokens map to identities; records every review. Other
// calls fail with 501. Thread-safe.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"

namespace lg::agent::testing {

class TokenReviewApi final : public kube::ApiClient {
 public:
  struct Identity {
    std::string username;
    std::vector<std::string> audiences;  // the audiences the token is valid for
  };
  void addToken(const std::string& token, Identity id) {
    std::lock_guard g(mu_);
    tokens_[token] = std::move(id);
  }
  void removeToken(const std::string& token) {
    std::lock_guard g(mu_);
    tokens_.erase(token);
  }
  void setDown(bool down) { down_ = down; }
  int reviews() const { return reviews_.load(); }
  std::vector<nlohmann::json> bodies() const {
    std::lock_guard g(mu_);
    return bodies_;
  }

  Result<nlohmann::json> create(const kube::ResourceRef& ref, const nlohmann::json& body,
                                const kube::WriteOptions&) override {
    if (ref.path() != "/apis/authentication.k8s.io/v1/tokenreviews")
      return makeError("unexpected " + ref.path(), 501);
    ++reviews_;
    if (down_) return makeError("connection refused", 0);
    std::lock_guard g(mu_);
    bodies_.push_back(body);
    nlohmann::json out = body;
    const std::string token = body["spec"]["token"];
    auto it = tokens_.find(token);
    std::vector<std::string> wanted;
    if (body["spec"].contains("audiences")) wanted = body["spec"]["audiences"];
    bool ok = it != tokens_.end();
    std::vector<std::string> matched;
    if (ok && !wanted.empty()) {
      for (const auto& a : wanted)
        for (const auto& have : it->second.audiences)
          if (a == have) matched.push_back(a);
      ok = !matched.empty();
    }
    if (!ok) {
      out["status"] = {{"authenticated", false}, {"error", "invalid bearer token"}};
    } else {
      out["status"] = {{"authenticated", true},
                       {"user", {{"username", it->second.username}, {"uid", "1"}}},
                       {"audiences", wanted.empty() ? it->second.audiences : matched}};
    }
    return out;
  }

  Result<nlohmann::json> get(const kube::ResourceRef&) override { return unsupported(); }
  Result<kube::ListPage> list(const kube::ResourceRef&, const kube::ListOptions&) override {
    return unsupported();
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::ResourceRef&,
                                                   const kube::WatchOptions&) override {
    return unsupported();
  }
  Result<nlohmann::json> replace(const kube::ResourceRef&, const nlohmann::json&,
                                 const kube::WriteOptions&) override {
    return unsupported();
  }
  Result<nlohmann::json> patch(const kube::ResourceRef&, kube::PatchType, const nlohmann::json&,
                               const kube::WriteOptions&) override {
    return unsupported();
  }
  Status remove(const kube::ResourceRef&, const kube::DeleteOptions&) override {
    return unsupported();
  }

 private:
  static Error unsupported() { return makeError("unsupported", 501); }
  mutable std::mutex mu_;
  std::map<std::string, Identity> tokens_;
  std::vector<nlohmann::json> bodies_;
  std::atomic<int> reviews_{0};
  std::atomic<bool> down_{false};
};

}  // namespace lg::agent::testing
