#pragma once
// Reads the fields of one JSON object of a LeakPolicy, recording what is wrong under the field's
// path ("spec.playbook[1].params.factor: must be between 1 and 4, got 7") instead of failing. The
// policy parser reads the spec with it, and each playbook action reads its own params with it
// (the action owns them: names, ranges, defaults). Pure; one reader per thread.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lg::policy {

struct ValidationIssue {
  std::string field;  // "spec.playbook[1].when.exhaustionWithin"
  std::string message;
};

class FieldReader {
 public:
  // `obj` must outlive the reader; issues are appended to `issues`.
  FieldReader(const nlohmann::json& obj, std::string path, std::vector<ValidationIssue>& issues)
      : obj_(obj), path_(std::move(path)), issues_(issues) {}

  // The field, or null when it is absent or null (or the object is not an object).
  const nlohmann::json* get(const char* key) const;
  // The path of a field: "spec.playbook[0].params.port".
  std::string at(const char* key) const { return path_ + "." + key; }
  const std::string& path() const { return path_; }
  void issue(const std::string& field, std::string message) const {
    issues_.push_back({field, std::move(message)});
  }

  std::optional<std::string> string(const char* key) const;
  std::optional<double> number(const char* key, double lo, double hi) const;
  std::optional<int> integer(const char* key, int lo, int hi) const;
  // "90s", "5m", "1h30m": seconds, above 0.
  std::optional<double> duration(const char* key) const;
  // A non-negative Kubernetes quantity ("2Gi"), as its value.
  std::optional<double> quantity(const char* key) const;
  // A Kubernetes quantity kept as written ("512Mi").
  std::optional<std::string> quantityText(const char* key) const;

 private:
  const nlohmann::json& obj_;
  std::string path_;
  std::vector<ValidationIssue>& issues_;
};

}  // namespace lg::policy
