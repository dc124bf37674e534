#include "controllers/agent/runtime_heap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lg::agent {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// argv or environ as /proc gives them: NUL-separated, NUL-terminated.
std::string nul(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += p + '\0';
  return out;
}

std::uint64_t heap(const std::vector<std::string>& argv, std::uint64_t limitMiB,
                   const std::vector<std::string>& env = {}) {
  auto h = runtimeHeapOf(nul(argv), nul(env), limitMiB * kMiB);
  EXPECT_TRUE(h.has_value()) << argv[0] << " in " << limitMiB << "Mi";
  return h ? h->bytes : 0;
}

// Every figure below was printed by OpenJDK 17.0.15 (`java -XX:+PrintFlagsFinal -version`,
// MaxHeapSize) or Node.js 20.20.2 (`v8.getHeapStatistics().heap_size_limit`) run in a cgroup v1
// memory cgroup with that limit.
TEST(RuntimeHeap, TheJvmDefaultFollowsHotSpotsRuleForTheContainersMemory) {
  const std::vector<std::string> java{"java", "-cp", "/app", "Main"};
  EXPECT_EQ(heap(java, 64), 33554432u);  // half: MinRAMPercentage on small memory
  EXPECT_EQ(heap(java, 128), 67108864u);
  EXPECT_EQ(heap(java, 200), 104857600u);
  EXPECT_EQ(heap(java, 256), 132120576u);  // the default MaxHeapSize, 126Mi
  EXPECT_EQ(heap(java, 460), 132120576u);
  EXPECT_EQ(heap(java, 512), 134217728u);  // a quarter: MaxRAMPercentage
  EXPECT_EQ(heap(java, 1024), 268435456u);
  EXPECT_EQ(heap(java, 8192), 2147483648u);
  const auto h = runtimeHeapOf(nul(java), "", 512 * kMiB);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->runtime, "JVM");
  EXPECT_EQ(h->setBy, "the JVM's default: MaxRAMPercentage 25% of the 512Mi limit");
}

TEST(RuntimeHeap, TheJvmsFlagsAsHotSpotReadsThem) {
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=75", "Main"}, 200), 100 * kMiB);  // small: 50%
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=10", "Main"}, 200), 100 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MinRAMPercentage=20", "Main"}, 200), 40 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=75", "Main"}, 1024), 768 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=10", "Main"}, 1024), 126 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MinRAMPercentage=20", "Main"}, 1024), 256 * kMiB);
  EXPECT_EQ(heap({"java", "-Xmx300m", "Main"}, 200), 300 * kMiB);  // above the limit: as given
  EXPECT_EQ(heap({"java", "-XX:MaxRAM=4g", "Main"}, 200), 1024 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MaxRAMFraction=2", "Main"}, 1024), 512 * kMiB);
  EXPECT_EQ(heap({"/usr/lib/jvm/java-17/bin/java", "-XX:MaxHeapSize=1g", "-jar", "a.jar"}, 4096),
            1024 * kMiB);
}

TEST(RuntimeHeap, TheLastJvmOptionWinsAndTheApplicationsArgumentsAreNotTheJvms) {
  EXPECT_EQ(heap({"java", "-Xmx64m", "Main"}, 1024, {"JAVA_TOOL_OPTIONS=-Xmx512m"}), 64 * kMiB);
  EXPECT_EQ(heap({"java", "Main"}, 1024, {"PATH=/bin", "JAVA_TOOL_OPTIONS=-Xss1m -Xmx512m"}),
            512 * kMiB);
  EXPECT_EQ(
      heap({"java", "Main"}, 1024, {"JAVA_TOOL_OPTIONS=-Xmx512m", "JDK_JAVA_OPTIONS=-Xmx300m"}),
      300 * kMiB);
  // _JAVA_OPTIONS comes after the command line, and wins over it.
  EXPECT_EQ(heap({"java", "-Xmx64m", "Main"}, 1024, {"_JAVA_OPTIONS=-Xmx96m"}), 96 * kMiB);
  // After the main class or the jar, arguments belong to the application.
  EXPECT_EQ(heap({"java", "-jar", "app.jar", "-Xmx2g"}, 1024), 256 * kMiB);
  EXPECT_EQ(heap({"java", "Main", "-Xmx2g"}, 1024), 256 * kMiB);
  // A launcher option's value is not an option.
  EXPECT_EQ(heap({"java", "-cp", "-Xmx2g", "Main"}, 1024), 256 * kMiB);
  const auto h =
      runtimeHeapOf(nul({"java", "Main"}), nul({"JAVA_TOOL_OPTIONS=-Xmx512m"}), 1024 * kMiB);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->setBy, "JAVA_TOOL_OPTIONS -Xmx512m");
}

TEST(RuntimeHeap, AJvmSizedFromTheHostHasNoCapThatCanBeKnown) {
  EXPECT_FALSE(runtimeHeapOf(nul({"java", "-XX:-UseContainerSupport", "Main"}), "", 1024 * kMiB));
  EXPECT_FALSE(runtimeHeapOf(nul({"java", "Main"}), "", 0));  // no container limit
  EXPECT_EQ(heap({"java", "-Xmx256m", "Main"}, 0), 256 * kMiB);
}

TEST(RuntimeHeap, NodesDefaultIsV8sForTheContainersMemory) {
  const std::vector<std::string> node{"node", "server.js"};
  EXPECT_EQ(heap(node, 64), 271581184u);  // the smallest V8 chooses: 259Mi
  EXPECT_EQ(heap(node, 460), 271581184u);
  EXPECT_EQ(heap(node, 512), 271581184u);
  EXPECT_EQ(heap(node, 1024), 549453824u);
  EXPECT_EQ(heap(node, 2048), 1098907648u);
  EXPECT_EQ(heap(node, 4096), 2197815296u);
  EXPECT_EQ(heap(node, 8192), 2197815296u);  // the largest
  const auto h = runtimeHeapOf(nul(node), "", 460 * kMiB);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->runtime, "Node.js");
  EXPECT_EQ(h->setBy, "V8's default for the 460Mi limit");
}

TEST(RuntimeHeap, NodesMaxOldSpaceSizeAddsTheYoungGenerationOfItsDefault) {
  EXPECT_EQ(heap({"node", "--max-old-space-size=100", "s.js"}, 200), 108003328u);
  EXPECT_EQ(heap({"node", "--max-old-space-size=300", "s.js"}, 200), 317718528u);
  EXPECT_EQ(heap({"node", "--max-old-space-size=5000", "s.js"}, 200), 5246025728u);
  EXPECT_EQ(heap({"node", "--max-old-space-size=100", "s.js"}, 1024), 117440512u);
  EXPECT_EQ(heap({"node", "--max_old_space_size", "1000", "s.js"}, 1024), 1061158912u);
  EXPECT_EQ(heap({"node", "s.js"}, 200, {"NODE_OPTIONS=--max-old-space-size=700"}), 737148928u);
  // The command line wins over NODE_OPTIONS; the script's own arguments are not Node's.
  EXPECT_EQ(heap({"node", "--max-old-space-size=100", "s.js"}, 200,
                 {"NODE_OPTIONS=--max-old-space-size=700"}),
            108003328u);
  EXPECT_EQ(heap({"node", "s.js", "--max-old-space-size=700"}, 200), 271581184u);
  EXPECT_EQ(heap({"node", "-r", "--max-old-space-size=700", "s.js"}, 200), 271581184u);
}

TEST(RuntimeHeap, OtherProgramsAndMalformedFlagsGiveNoCapOrTheDefault) {
  EXPECT_FALSE(runtimeHeapOf(nul({"python3", "app.py"}), "", 256 * kMiB));
  EXPECT_FALSE(runtimeHeapOf(nul({"/app/server"}), nul({"GOMEMLIMIT=200MiB"}), 256 * kMiB));
  EXPECT_FALSE(runtimeHeapOf("", "", 256 * kMiB));  // a zombie's empty cmdline
  EXPECT_EQ(heap({"java", "-Xmxlots", "Main"}, 1024), 256 * kMiB);
  EXPECT_EQ(heap({"java", "-Xmx0", "Main"}, 1024), 256 * kMiB);
  // HotSpot refuses a percentage above 100; found by the fuzzer as a conversion overflow.
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=1e21", "Main"}, 1024), 256 * kMiB);
  EXPECT_EQ(heap({"java", "-XX:MaxRAMPercentage=100", "Main"}, 1024), 1024 * kMiB);
  EXPECT_TRUE(runtimeHeapOf(nul({"java", "-XX:MaxRAMPercentage=100", "Main"}), "", ~0ull));
  EXPECT_EQ(heap({"node", "--max-old-space-size=big", "s.js"}, 1024), 549453824u);
  EXPECT_FALSE(parseJvmSize(""));
  EXPECT_FALSE(parseJvmSize("m"));
  EXPECT_FALSE(parseJvmSize("-1g"));
  EXPECT_FALSE(parseJvmSize("99999999999999999999"));
  EXPECT_FALSE(parseJvmSize("20000000000T"));
  EXPECT_EQ(parseJvmSize("512k"), 512u * 1024);
  EXPECT_EQ(parseJvmSize("3G"), 3u * 1024 * kMiB);
  EXPECT_EQ(parseJvmSize("4096"), 4096u);
}

}  // namespace
}  // namespace lg::agent
