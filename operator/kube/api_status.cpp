#include "operator/kube/api_status.h"

#include <nlohmann/json.hpp>

namespace lg::kube {
namespace {

std::string str(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string printable(std::string_view text, size_t max) {
  std::string s(text.substr(0, max));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 && c != ' ') c = ' ';
  }
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return text.size() > max ? s + "..." : s;
}

}  // namespace

std::string statusMessage(int httpCode, std::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && (str(doc, "kind") == "Status" || doc.contains("message"))) {
    std::string message = str(doc, "message");
    const std::string reason = str(doc, "reason");
    if (message.empty()) message = reason.empty() ? "HTTP " + std::to_string(httpCode) : reason;
    auto details = doc.find("details");
    if (details != doc.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const auto& cause : *causes) {
          if (!cause.is_object()) continue;
          const std::string field = str(cause, "field");
          const std::string text = str(cause, "message");
          const std::string line = field.empty() ? text : field + ": " + text;
          if (!text.empty() && message.find(line) == std::string::npos) message += "; " + line;
        }
      }
    }
    return message;
  }
  std::string message = "HTTP " + std::to_string(httpCode);
  const std::string text = printable(body, 256);
  if (!text.empty()) message += ": " + text;
  return message;
}

Error statusError(int httpCode, std::string_view body) {
  return makeError(statusMessage(httpCode, body), httpCode);
}

std::optional<int> parseRetryAfter(std::string_view value) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  int n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace lg::kube
