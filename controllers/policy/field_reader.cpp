#include "controllers/policy/field_reader.h"

#include "controllers/policy/duration.h"
#include "operator/kube/quantity.h"

namespace lg::policy {
namespace {

std::string fmt(double d) {
  std::string s = std::to_string(d);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

const nlohmann::json* FieldReader::get(const char* key) const {
  if (!obj_.is_object()) return nullptr;
  auto it = obj_.find(key);
  return it == obj_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> FieldReader::string(const char* key) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    issue(at(key), "must be a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<double> FieldReader::number(const char* key, double lo, double hi) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    issue(at(key), "must be a number");
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (d < lo || d > hi) {
    issue(at(key), "must be between " + fmt(lo) + " and " + fmt(hi) + ", got " + fmt(d));
    return std::nullopt;
  }
  return d;
}

std::optional<int> FieldReader::integer(const char* key, int lo, int hi) const {
  const auto* v = get(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    issue(at(key), "must be an integer");
    return std::nullopt;
  }
  const auto d = v->get<int64_t>();
  if (d < lo || d > hi) {
    issue(at(key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                       ", got " + std::to_string(d));
    return std::nullopt;
  }
  return static_cast<int>(d);
}

std::optional<double> FieldReader::duration(const char* key) const {
  auto s = string(key);
  if (!s) return std::nullopt;
  auto d = parseDuration(*s);
  if (!d) {
    issue(at(key), d.error().message);
    return std::nullopt;
  }
  if (*d <= 0) {  // no duration of the policy means anything at zero
    issue(at(key), "must be above 0s, got \"" + *s + "\"");
    return std::nullopt;
  }
  return *d;
}

std::optional<double> FieldReader::quantity(const char* key) const {
  auto s = string(key);
  if (!s) return std::nullopt;
  auto q = kube::Quantity::parse(*s);
  if (!q || q->negative()) {
    issue(at(key), "must be a quantity such as 2Gi, got \"" + *s + "\"");
    return std::nullopt;
  }
  return q->value();
}

std::optional<std::string> FieldReader::quantityText(const char* key) const {
  auto s = string(key);
  if (s && !kube::Quantity::parse(*s)) {
    issue(at(key), "must be a quantity such as 512Mi, got \"" + *s + "\"");
    return std::nullopt;
  }
  return s;
}

}  // namespace lg::policy
