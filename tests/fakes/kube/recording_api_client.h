#pragma once
// An ApiClient for tests of code that writes through it (EventRecorder, evictPod): records every
// call, answers create/patch/replace with the body it got (plus a name), or with the next
// scripted error. get/list/watch are not supported (they fail with code 501).

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"

namespace lg::kube::testing {

class RecordingApiClient final : public ApiClient {
 public:
  struct Call {
    std::string verb;  // "create", "replace", "patch", "remove"
    std::string path;
    nlohmann::json body;
    PatchType patchType = PatchType::kMerge;
    WriteOptions write;
  };

  // The next write fails with this error instead of succeeding.
  void failNext(Error e) {
    std::lock_guard lock(mu_);
    failures_.push_back(std::move(e));
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  Result<nlohmann::json> get(const ResourceRef&) override { return makeError("unsupported", 501); }
  Result<ListPage> list(const ResourceRef&, const ListOptions&) override {
    return makeError("unsupported", 501);
  }
  Result<std::unique_ptr<WatchStream>> watch(const ResourceRef&, const WatchOptions&) override {
    return makeError("unsupported", 501);
  }
  Result<nlohmann::json> create(const ResourceRef& ref, const nlohmann::json& body,
                                const WriteOptions& opts) override {
    return write({"create", ref.path(), body, PatchType::kMerge, opts});
  }
  Result<nlohmann::json> replace(const ResourceRef& ref, const nlohmann::json& body,
                                 const WriteOptions& opts) override {
    return write({"replace", ref.path(), body, PatchType::kMerge, opts});
  }
  Result<nlohmann::json> patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                               const WriteOptions& opts) override {
    return write({"patch", ref.path(), body, type, opts});
  }
  Status remove(const ResourceRef& ref, const DeleteOptions&) override {
    auto r = write({"remove", ref.path(), nullptr, PatchType::kMerge, {}});
    if (!r) return r.error();
    return okStatus();
  }

 private:
  Result<nlohmann::json> write(Call call) {
    std::lock_guard lock(mu_);
    calls_.push_back(call);
    if (!failures_.empty()) {
      Error e = failures_.front();
      failures_.pop_front();
      return e;
    }
    return call.body;
  }

  mutable std::mutex mu_;
  std::vector<Call> calls_;
  std::deque<Error> failures_;
};

}  // namespace lg::kube::testing
