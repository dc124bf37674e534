#include "operator/util/logger.h"

#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>

namespace lg {
namespace {

std::mutex& logMutex() {
  static std::mutex m;
  return m;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

constexpr std::string_view kNames[] = {"debug", "info", "warn", "error"};

}  // namespace

Logger& Logger::instance() {
  static Logger logger;
  return logger;
}

void Logger::setStream(std::ostream* out) {
  std::lock_guard lock(logMutex());
  out_ = out;
}

void Logger::log(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  nlohmann::json line = {
      {"ts", timestamp()}, {"level", kNames[static_cast<int>(level)]}, {"msg", msg}};
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it)
      line[it.key()] = it.value();
  }
  // Replace invalid UTF-8 rather than throw: log text may come from the cluster.
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(logMutex());
  std::ostream& out = out_ ? *out_ : std::cerr;
  out << text << '\n';
  out.flush();
}

std::optional<LogLevel> parseLogLevel(std::string_view s) {
  for (int i = 0; i < 4; ++i)
    if (kNames[i] == s) return static_cast<LogLevel>(i);
  return std::nullopt;
}

}  // namespace lg
