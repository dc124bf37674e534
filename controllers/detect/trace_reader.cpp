#include "controllers/detect/trace_reader.h"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "operator/util/printable.h"

namespace lg::detect {
namespace {

struct Column {
  std::string_view name;
  double TraceRow::*field;
};

constexpr std::array<Column, 10> kColumns{{
    {"timestamp", &TraceRow::timestamp},
    {"working_set_bytes", &TraceRow::workingSet},
    {"anon_bytes", &TraceRow::anon},
    {"file_bytes", &TraceRow::file},
    {"shmem_bytes", &TraceRow::shmem},
    {"limit_bytes", &TraceRow::limit},
    {"open_fds", &TraceRow::openFds},
    {"fd_limit", &TraceRow::fdLimit},
    {"threads", &TraceRow::threads},
    {"threads_limit", &TraceRow::threadsLimit},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(
        trim(line.substr(start, comma == std::string_view::npos ? line.npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> parseNumber(std::string_view s) {
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string at(std::string_view origin, std::size_t line) {
  std::ostringstream o;
  o << printable(origin, 4096) << ":" << line << ": ";
  return o.str();
}

}  // namespace

Result<Trace> parseTrace(std::string_view text, std::string_view origin) {
  Trace trace;
  std::size_t lineNo = 0;
  std::vector<int> mapping;  // field index -> column index in kColumns, or -1 (ignored)
  bool header = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++lineNo;
    if (line.empty() || line.front() == '#') continue;
    const auto fields = splitFields(line);
    if (!header) {
      header = true;
      bool haveTimestamp = false;
      for (const auto f : fields) {
        int idx = -1;
        for (std::size_t c = 0; c < kColumns.size(); ++c)
          if (kColumns[c].name == f) idx = static_cast<int>(c);
        if (idx == 0) haveTimestamp = true;
        mapping.push_back(idx);
      }
      if (!haveTimestamp)
        return makeError(at(origin, lineNo) + "header has no 'timestamp' column (got '" +
                         printable(line) + "')");
      continue;
    }
    if (fields.size() != mapping.size()) {
      return makeError(at(origin, lineNo) + "expected " + std::to_string(mapping.size()) +
                       " fields as in the header, found " + std::to_string(fields.size()));
    }
    TraceRow row;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (mapping[i] < 0 || fields[i].empty()) continue;
      const Column& col = kColumns[static_cast<std::size_t>(mapping[i])];
      const auto v = parseNumber(fields[i]);
      if (!v || *v < 0) {
        return makeError(at(origin, lineNo) + "column '" + std::string(col.name) +
                         "': not a non-negative number: '" + printable(fields[i]) + "'");
      }
      row.*col.field = *v;
    }
    if (std::isnan(row.timestamp))
      return makeError(at(origin, lineNo) + "column 'timestamp' is empty");
    if (!trace.rows.empty() && row.timestamp < trace.rows.back().timestamp) {
      std::ostringstream o;
      o << at(origin, lineNo) << "timestamp " << row.timestamp << " goes backwards (previous row "
        << trace.rows.back().timestamp << ")";
      return makeError(o.str());
    }
    if (!std::isnan(row.anon)) trace.hasAnon = true;
    trace.rows.push_back(row);
  }
  if (!header) return makeError(printable(origin, 4096) + ": empty file (no header, no samples)");
  if (trace.rows.empty())
    return makeError(printable(origin, 4096) + ": no samples after the header");
  return trace;
}

Result<Trace> readTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(printable(path, 4096) + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(printable(path, 4096) + ": read error");
  return parseTrace(ss.str(), path);
}

}  // namespace lg::detect
