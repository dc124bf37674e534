#pragma once
// Structured logs with levels: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-25T18:00:00.123Z","level":"info","msg":"watch restarted","resource":"pods"}
// Thread-safe (one mutex around the write). Never log tokens, env values or Secret contents.
//
//   LG_LOG(info, "watch restarted", {{"resource", "pods"}, {"rv", rv}});

#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string_view>

namespace lg {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

class Logger {
 public:
  static Logger& instance();

  void setLevel(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  bool enabled(LogLevel level) const { return level >= level_; }
  // Tests redirect output; the stream must outlive its use.
  void setStream(std::ostream* out);

  void log(LogLevel level, std::string_view msg, const nlohmann::json& fields = nullptr);

 private:
  LogLevel level_ = LogLevel::info;
  std::ostream* out_ = nullptr;
};

// Parses "debug", "info", "warn", "error"; nullopt otherwise.
std::optional<LogLevel> parseLogLevel(std::string_view s);

}  // namespace lg

#define LG_LOG(LEVEL, MSG, ...)                                                            \
  do {                                                                                     \
    if (::lg::Logger::instance().enabled(::lg::LogLevel::LEVEL))                           \
      ::lg::Logger::instance().log(::lg::LogLevel::LEVEL, MSG __VA_OPT__(, ) __VA_ARGS__); \
  } while (0)
