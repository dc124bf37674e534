#include "controllers/policy/label_selector.h"

#include <algorithm>

namespace lg::policy {

Result<LabelSelector> LabelSelector::parse(const nlohmann::json& j) {
  LabelSelector s;
  if (!j.is_object()) return makeError("must be an object");
  if (auto it = j.find("matchLabels"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return makeError("matchLabels: must be an object");
    for (auto kv = it->begin(); kv != it->end(); ++kv) {
      if (!kv.value().is_string())
        return makeError("matchLabels." + kv.key() + ": must be a string");
      s.matchLabels_[kv.key()] = kv.value().get<std::string>();
    }
  }
  if (auto it = j.find("matchExpressions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return makeError("matchExpressions: must be a list");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      const std::string at = "matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object() || !e.contains("key") || !e["key"].is_string())
        return makeError(at + ".key: required");
      Requirement r;
      r.key = e["key"].get<std::string>();
      // value() would throw on an operator of another type (found by fuzz/label_selector).
      const auto opField = e.find("operator");
      if (opField == e.end() || !opField->is_string())
        return makeError(at + ".operator: must be In, NotIn, Exists or DoesNotExist");
      const std::string op = opField->get<std::string>();
      if (op == "In") {
        r.op = Op::kIn;
      } else if (op == "NotIn") {
        r.op = Op::kNotIn;
      } else if (op == "Exists") {
        r.op = Op::kExists;
      } else if (op == "DoesNotExist") {
        r.op = Op::kDoesNotExist;
      } else {
        return makeError(at + ".operator: must be In, NotIn, Exists or DoesNotExist, got \"" + op +
                         "\"");
      }
      if (auto v = e.find("values"); v != e.end() && !v->is_null()) {
        if (!v->is_array()) return makeError(at + ".values: must be a list");
        for (const auto& x : *v) {
          if (!x.is_string()) return makeError(at + ".values: must be strings");
          r.values.push_back(x.get<std::string>());
        }
      }
      const bool needsValues = r.op == Op::kIn || r.op == Op::kNotIn;
      if (needsValues && r.values.empty())
        return makeError(at + ".values: In and NotIn need at least one value");
      if (!needsValues && !r.values.empty())
        return makeError(at + ".values: Exists and DoesNotExist take no values");
      s.requirements_.push_back(std::move(r));
    }
  }
  return s;
}

bool LabelSelector::matches(const std::map<std::string, std::string>& labels) const {
  for (const auto& [k, v] : matchLabels_) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool in =
        has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    switch (r.op) {
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::toString() const {
  std::string out;
  auto sep = [&] {
    if (!out.empty()) out += ",";
  };
  for (const auto& [k, v] : matchLabels_) {
    sep();
    out += k + "=" + v;
  }
  for (const auto& r : requirements_) {
    sep();
    auto list = [&] {
      std::string l;
      for (std::size_t i = 0; i < r.values.size(); ++i)
        l += (i ? "," : "") + r.values[i];
      return l;
    };
    switch (r.op) {
      case Op::kIn:
        out += r.key + " in (" + list() + ")";
        break;
      case Op::kNotIn:
        out += r.key + " notin (" + list() + ")";
        break;
      case Op::kExists:
        out += r.key;
        break;
      case Op::kDoesNotExist:
        out += "!" + r.key;
        break;
    }
  }
  return out;
}

}  // namespace lg::policy
