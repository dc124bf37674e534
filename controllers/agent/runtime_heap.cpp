#include "controllers/agent/runtime_heap.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <vector>

#include "operator/kube/quantity.h"

namespace lg::agent {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;
// HotSpot's default MaxHeapSize on 64-bit: ScaleForWordSize(96M), aligned (126Mi).
constexpr std::uint64_t kJvmDefaultMaxHeap = 132120576;

std::vector<std::string_view> splitNul(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto nul = s.find('\0');
    out.push_back(s.substr(0, nul));
    if (nul == std::string_view::npos) break;
    s.remove_prefix(nul + 1);
  }
  return out;
}

std::vector<std::string_view> splitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
      ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string_view envValue(const std::vector<std::string_view>& env, std::string_view name) {
  for (auto e : env)
    if (e.size() > name.size() && e.starts_with(name) && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return {};
}

std::string_view baseName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::optional<double> parseNumber(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !(v >= 0)) return std::nullopt;
  return v;
}

// HotSpot refuses to start with a percentage outside 0..100: such a flag sets nothing here.
std::optional<double> percentage(std::string_view s) {
  auto p = parseNumber(s);
  if (!p || *p > 100) return std::nullopt;
  return p;
}

// pct percent of memory, in bytes (pct in 0..100, so never above memory).
std::uint64_t shareOf(std::uint64_t memory, double pct) {
  const long double share = static_cast<long double>(memory) * pct / 100;
  return share >= static_cast<long double>(memory) ? memory : static_cast<std::uint64_t>(share);
}

std::string mib(std::uint64_t bytes) {
  return kube::formatBytes(static_cast<double>(bytes));
}

std::string percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", p);
  return buf;
}

// The JVM's heap-sizing flags as the last one of each seen.
struct JvmFlags {
  std::optional<std::uint64_t> maxHeap;
  std::string maxHeapFrom;
  std::optional<double> maxPct, minPct;
  std::string maxPctFrom;
  std::optional<std::uint64_t> maxRam;
  bool containerSupport = true;
};

void readJvmOption(std::string_view o, std::string_view origin, JvmFlags& f) {
  auto from = [&] {
    std::string text(origin);
    if (!text.empty()) text += ' ';
    return text += o;
  };
  if (o.starts_with("-Xmx") || o.starts_with("-XX:MaxHeapSize=")) {
    const auto v = o.substr(o.starts_with("-Xmx") ? 4 : 16);
    if (auto b = parseJvmSize(v); b && *b > 0) f.maxHeap = *b, f.maxHeapFrom = from();
  } else if (o.starts_with("-XX:MaxRAMPercentage=")) {
    if (auto p = percentage(o.substr(21))) f.maxPct = *p, f.maxPctFrom = from();
  } else if (o.starts_with("-XX:MinRAMPercentage=")) {
    if (auto p = percentage(o.substr(21))) f.minPct = *p;
  } else if (o.starts_with("-XX:MaxRAMFraction=")) {
    if (auto n = parseNumber(o.substr(19)); n && *n >= 1)
      f.maxPct = 100.0 / *n, f.maxPctFrom = from();
  } else if (o.starts_with("-XX:MaxRAM=")) {
    if (auto b = parseJvmSize(o.substr(11)); b && *b > 0) f.maxRam = *b;
  } else if (o == "-XX:-UseContainerSupport") {
    f.containerSupport = false;
  } else if (o == "-XX:+UseContainerSupport") {
    f.containerSupport = true;
  }
}

// Launcher options whose value is the next argument.
bool javaTakesValue(std::string_view a) {
  static constexpr std::string_view kWithValue[] = {"-cp",           "-classpath",
                                                    "--class-path",  "-p",
                                                    "--module-path", "--upgrade-module-path",
                                                    "--add-modules", "--limit-modules",
                                                    "--add-reads",   "--add-exports",
                                                    "--add-opens",   "--patch-module",
                                                    "--source",      "--enable-native-access"};
  return std::find(std::begin(kWithValue), std::end(kWithValue), a) != std::end(kWithValue);
}

std::optional<RuntimeHeap> jvmHeap(const std::vector<std::string_view>& argv,
                                   const std::vector<std::string_view>& env, std::uint64_t limit) {
  JvmFlags f;
  for (auto o : splitSpaces(envValue(env, "JAVA_TOOL_OPTIONS")))
    readJvmOption(o, "JAVA_TOOL_OPTIONS", f);
  for (auto o : splitSpaces(envValue(env, "JDK_JAVA_OPTIONS")))
    readJvmOption(o, "JDK_JAVA_OPTIONS", f);
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto a = argv[i];
    if (a == "-jar" || a == "-m" || a == "--module" || !a.starts_with("-")) break;
    if (javaTakesValue(a)) {
      ++i;
      continue;
    }
    readJvmOption(a, "", f);
  }
  for (auto o : splitSpaces(envValue(env, "_JAVA_OPTIONS")))
    readJvmOption(o, "_JAVA_OPTIONS", f);
  RuntimeHeap h{.runtime = "JVM", .bytes = 0, .setBy = ""};
  if (f.maxHeap) {
    h.bytes = *f.maxHeap;
    h.setBy = f.maxHeapFrom;
    return h;
  }
  std::uint64_t memory = limit;
  std::string of = "the " + mib(limit) + " limit";
  if (f.maxRam) {
    memory = *f.maxRam;
    of = "-XX:MaxRAM=" + mib(memory);
  } else if (!f.containerSupport || limit == 0) {
    return std::nullopt;  // sized from the host's memory
  }
  const double maxPct = f.maxPct.value_or(25), minPct = f.minPct.value_or(50);
  const auto reasonableMin = shareOf(memory, minPct);
  const auto reasonableMax = shareOf(memory, maxPct);
  if (reasonableMin < kJvmDefaultMaxHeap) {
    h.bytes = reasonableMin;
    h.setBy =
        "the JVM's default for small memory: MinRAMPercentage " + percent(minPct) + " of " + of;
  } else if (reasonableMax >= kJvmDefaultMaxHeap) {
    h.bytes = reasonableMax;
    h.setBy = f.maxPct ? f.maxPctFrom + " of " + of
                       : "the JVM's default: MaxRAMPercentage " + percent(maxPct) + " of " + of;
  } else {
    h.bytes = kJvmDefaultMaxHeap;
    h.setBy = "the JVM's default MaxHeapSize (126Mi), above MaxRAMPercentage of " + of;
  }
  return h;
}

// V8's young generation for a default old generation: three semi-spaces.
std::uint64_t v8YoungGeneration(std::uint64_t defaultOld) {
  const std::uint64_t ratio = defaultOld <= 256 * kMiB ? 256 : 128;
  std::uint64_t semi = std::clamp<std::uint64_t>(defaultOld / ratio, kMiB, 16 * kMiB);
  constexpr std::uint64_t kPage = 256 * 1024;
  semi = (semi + kPage - 1) / kPage * kPage;
  return 3 * semi;
}

// --max-old-space-size=N or --max-old-space-size N (underscores too) at args[i]; the MiB.
std::optional<std::uint64_t> nodeOldSpace(const std::vector<std::string_view>& args,
                                          std::size_t& i) {
  std::string a(args[i]);
  std::replace(a.begin(), a.end(), '_', '-');
  constexpr std::string_view kFlag = "--max-old-space-size";
  if (!std::string_view(a).starts_with(kFlag)) return std::nullopt;
  std::string_view v = std::string_view(a).substr(kFlag.size());
  std::string next;
  if (v.empty() && i + 1 < args.size()) {
    next = std::string(args[++i]);
    v = next;
  } else if (v.starts_with("=")) {
    v.remove_prefix(1);
  } else {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  // Above an exbibyte it is no cap (and would overflow in bytes).
  if (ec != std::errc() || p != v.data() + v.size() || n == 0 || n > (1ull << 40))
    return std::nullopt;
  return n;
}

std::optional<RuntimeHeap> nodeHeap(const std::vector<std::string_view>& argv,
                                    const std::vector<std::string_view>& env, std::uint64_t limit) {
  std::optional<std::uint64_t> oldMiB;
  std::string from;
  const auto nodeOptions = splitSpaces(envValue(env, "NODE_OPTIONS"));
  for (std::size_t i = 0; i < nodeOptions.size(); ++i)
    if (auto n = nodeOldSpace(nodeOptions, i))
      oldMiB = n, from = "NODE_OPTIONS --max-old-space-size=" + std::to_string(*n);
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto a = argv[i];
    if (a == "--" || !a.starts_with("-")) break;
    if (auto n = nodeOldSpace(argv, i)) {
      oldMiB = n, from = "--max-old-space-size=" + std::to_string(*n);
      continue;
    }
    if (a == "-r" || a == "--require" || a == "-e" || a == "--eval" || a == "-p" ||
        a == "--print" || a == "--import" || a == "--loader")
      ++i;
  }
  if (!oldMiB && limit == 0) return std::nullopt;  // sized from the host's memory
  // No limit: V8 sizes from the host's memory; most hosts have 4Gi or more, which gives the
  // largest default (2Gi old, 48Mi young).
  const std::uint64_t memory = limit > 0 ? limit : 4096 * kMiB;
  const std::uint64_t defaultOld = std::clamp<std::uint64_t>(memory / 2, 256 * kMiB, 2048 * kMiB);
  const std::uint64_t young = v8YoungGeneration(defaultOld);
  RuntimeHeap h{.runtime = "Node.js", .bytes = 0, .setBy = ""};
  if (oldMiB) {
    h.bytes = *oldMiB * kMiB + young;
    h.setBy = from;
  } else {
    h.bytes = defaultOld + young;
    h.setBy = "V8's default for the " + mib(limit) + " limit";
  }
  return h;
}

}  // namespace

std::optional<std::uint64_t> parseJvmSize(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t unit = 1;
  switch (s.back()) {
    case 'k':
    case 'K':
      unit = 1024;
      break;
    case 'm':
    case 'M':
      unit = kMiB;
      break;
    case 'g':
    case 'G':
      unit = 1024 * kMiB;
      break;
    case 't':
    case 'T':
      unit = 1024ull * 1024 * kMiB;
      break;
    default:
      break;
  }
  if (unit != 1) s.remove_suffix(1);
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  if (n > UINT64_MAX / unit) return std::nullopt;
  return n * unit;
}

bool isKnownRuntime(std::string_view cmdline) {
  const auto exe = baseName(cmdline.substr(0, cmdline.find('\0')));
  return exe == "java" || exe == "node" || exe == "nodejs";
}

std::optional<RuntimeHeap> runtimeHeapOf(std::string_view cmdline, std::string_view environ,
                                         std::uint64_t memoryLimit) {
  const auto argv = splitNul(cmdline);
  if (argv.empty() || !isKnownRuntime(cmdline)) return std::nullopt;
  const auto env = splitNul(environ);
  const auto exe = baseName(argv[0]);
  if (exe == "java") return jvmHeap(argv, env, memoryLimit);
  if (exe == "node" || exe == "nodejs") return nodeHeap(argv, env, memoryLimit);
  return std::nullopt;
}

}  // namespace lg::agent
