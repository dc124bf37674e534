#include "controllers/agent/agent_sample.h"

#include <gtest/gtest.h>

namespace lg::agent {
namespace {

AgentSample full() {
  AgentSample s;
  s.seq = 42;
  s.time = 1764097200.25;
  s.id = std::make_shared<ContainerIdentity>(
      ContainerIdentity{"uid-1", "shop", "checkout-1", "app", "containerd://abc"});
  s.running = true;
  s.data.version = 2;
  s.data.cgroup = "/kubepods.slice/x";
  auto& m = s.data.memory;
  m.usage = 100;
  m.workingSet = 80;
  m.anon = 50;
  m.file = 30;
  m.shmem = 5;
  m.inactiveFile = 20;
  m.limit = 0;
  m.oomEvents = 2;
  m.oomKill = 1;
  m.underOom = true;
  m.pressure.some = PressureLine{1.5, 0.25, 0, 999};
  s.data.pids.current = 7;
  s.data.pids.max = 0;
  s.data.processes.processes = 2;
  s.data.processes.threads = 9;
  s.data.processes.fdsMax = 33;
  s.data.processes.fdsMaxPid = 1234;
  s.data.processes.fdsSoftLimit = 1024;
  s.data.processes.unreadable = 1;
  s.data.processes.runtime = RuntimeHeap{.runtime = "JVM", .bytes = 134217728, .setBy = "-Xmx128m"};
  s.data.processes.runtimePid = 77;
  s.oomKills = 3;
  return s;
}

TEST(AgentSample, JsonRoundTrip) {
  std::string out;
  appendJson(out, full());
  const auto j = nlohmann::json::parse(out);  // valid JSON
  EXPECT_EQ(j["memory"]["activeFile"], nullptr);
  EXPECT_EQ(j["memory"]["pressure"]["full"], nullptr);
  EXPECT_EQ(j["podOomKill"], nullptr);
  auto back = agentSampleFromJson(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  const AgentSample& b = *back;
  EXPECT_EQ(b.seq, 42u);
  EXPECT_DOUBLE_EQ(b.time, 1764097200.25);
  EXPECT_EQ(b.id->podUid, "uid-1");
  EXPECT_EQ(b.id->ns, "shop");
  EXPECT_EQ(b.id->containerId, "containerd://abc");
  EXPECT_TRUE(b.running);
  EXPECT_EQ(b.data.version, 2);
  EXPECT_EQ(b.data.cgroup, "/kubepods.slice/x");
  EXPECT_EQ(*b.data.memory.anon, 50u);
  EXPECT_EQ(*b.data.memory.limit, 0u);
  EXPECT_FALSE(b.data.memory.activeFile.has_value());
  EXPECT_TRUE(*b.data.memory.underOom);
  ASSERT_TRUE(b.data.memory.pressure.some.has_value());
  EXPECT_DOUBLE_EQ(b.data.memory.pressure.some->avg10, 1.5);
  EXPECT_EQ(b.data.memory.pressure.some->totalUs, 999u);
  EXPECT_FALSE(b.data.memory.pressure.full.has_value());
  EXPECT_EQ(*b.data.pids.current, 7u);
  EXPECT_EQ(*b.data.processes.fdsMax, 33u);
  EXPECT_EQ(*b.data.processes.fdsMaxPid, 1234);
  EXPECT_EQ(b.data.processes.unreadable, 1u);
  ASSERT_TRUE(b.data.processes.runtime);
  EXPECT_EQ(b.data.processes.runtime->runtime, "JVM");
  EXPECT_EQ(b.data.processes.runtime->bytes, 134217728u);
  EXPECT_EQ(b.data.processes.runtime->setBy, "-Xmx128m");
  EXPECT_EQ(*b.data.processes.runtimePid, 77);
  EXPECT_EQ(*b.oomKills, 3u);
  EXPECT_FALSE(b.podOomKill.has_value());
}

TEST(AgentSample, NoRuntimeOrAMalformedOneIsNone) {
  auto s = full();
  s.data.processes.runtime.reset();
  std::string out;
  appendJson(out, s);
  auto j = nlohmann::json::parse(out);
  EXPECT_FALSE(j["processes"].contains("runtime"));
  EXPECT_FALSE(agentSampleFromJson(j)->data.processes.runtime);
  j["processes"]["runtime"] = {{"name", "JVM"}, {"heapMax", "lots"}};
  EXPECT_FALSE(agentSampleFromJson(j)->data.processes.runtime);
  j["processes"]["runtime"] = {{"name", ""}, {"heapMax", 5}};
  EXPECT_FALSE(agentSampleFromJson(j)->data.processes.runtime);
}

TEST(AgentSample, NotRunningHasNoCgroupFields) {
  AgentSample s = full();
  s.running = false;
  std::string out;
  appendJson(out, s);
  const auto j = nlohmann::json::parse(out);
  EXPECT_FALSE(j.contains("memory"));
  EXPECT_EQ(j["running"], false);
  EXPECT_EQ(j["oomKills"], 3);
  auto back = agentSampleFromJson(j);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->running);
  EXPECT_FALSE(back->data.memory.usage.has_value());
}

TEST(AgentSample, StringsAreEscaped) {
  std::string out;
  appendJsonString(out, "a\"b\\c\n\x01 \xc3\xa9 \xff end");
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j.get<std::string>(), "a\"b\\c\n\x01 \xc3\xa9 \xef\xbf\xbd end");
}

TEST(AgentSample, MalformedSamplesAreRejectedAndPagesSkipThem) {
  EXPECT_FALSE(agentSampleFromJson(nlohmann::json::array()).ok());
  EXPECT_FALSE(agentSampleFromJson({{"podUid", "u"}, {"pod", "p"}, {"container", "c"}}).ok());
  EXPECT_FALSE(agentSampleFromJson({{"pod", "p"}, {"container", "c"}, {"time", 1}}).ok());
  std::string good;
  appendJson(good, full());
  auto page = parseSamplesPage(R"({"node":"n1","epoch":"e1","next":43,"dropped":2,"more":true,
                                  "samples":[)" +
                               good + R"(,{"pod":"x"},17]})");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->node, "n1");
  EXPECT_EQ(page->epoch, "e1");
  EXPECT_EQ(page->next, 43u);
  EXPECT_EQ(page->dropped, 2u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->samples.size(), 1u);
  EXPECT_EQ(page->skipped, 2);
  EXPECT_FALSE(parseSamplesPage("not json").ok());
  EXPECT_FALSE(parseSamplesPage(R"({"node":"n"})").ok());
}

TEST(AgentSample, MistypedFieldsAreNull) {
  const auto s = cgroupSampleFromJson(
      {{"memory", {{"usage", "12"}, {"anon", -5}, {"shmem", 3}, {"underOom", 1}}},
       {"pids", "nope"}});
  EXPECT_FALSE(s.memory.usage.has_value());
  EXPECT_FALSE(s.memory.anon.has_value());
  EXPECT_EQ(*s.memory.shmem, 3u);
  EXPECT_FALSE(s.memory.underOom.has_value());
  EXPECT_FALSE(s.pids.current.has_value());
  // A pressure line of the wrong types reads as zeros (it is optional as a whole), a fraction
  // where a count belongs as null.
  const auto p = cgroupSampleFromJson(
      {{"memory", {{"file", 1.5}, {"pressure", {{"some", {{"avg10", "x"}, {"total", 7}}}}}}}});
  ASSERT_TRUE(p.memory.pressure.some.has_value());
  EXPECT_EQ(p.memory.pressure.some->avg10, 0);
  EXPECT_EQ(p.memory.pressure.some->totalUs, 7u);
  EXPECT_FALSE(p.memory.pressure.full.has_value());
  EXPECT_FALSE(p.memory.file.has_value());
}

// simdjson refuses integers beyond 64 bits, which JSON allows: one such number from an agent
// must not make its whole page unreadable (the same page would be asked for again and again).
TEST(AgentSample, ANumberBeyondSixtyFourBitsIsNullNotAnUnreadablePage) {
  std::string good;
  appendJson(good, full());
  std::string big = good;
  const std::string usage = "\"usage\":100";
  ASSERT_NE(big.find(usage), std::string::npos);
  big.replace(big.find(usage), usage.size(), "\"usage\":123456789012345678901234");
  auto page = parseSamplesPage(R"({"node":"n1","epoch":"e1","next":3,"samples":[)" + good + "," +
                               big + "]}");
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->samples.size(), 2u);
  EXPECT_EQ(page->samples[0].data.memory.usage, 100u);
  EXPECT_FALSE(page->samples[1].data.memory.usage.has_value());
  EXPECT_EQ(page->samples[1].data.memory.anon, 50u);
}

TEST(AgentSample, SamplesOfOneContainerInAPageShareTheirIdentity) {
  AgentSample a = full(), b = full(), other = full();
  b.seq = a.seq + 1;
  b.time = a.time + 10;
  auto id = std::make_shared<ContainerIdentity>(*a.id);
  id->containerId = "containerd://restarted";
  other.id = id;
  std::string body = R"({"node":"n1","epoch":"e1","next":9,"samples":[)";
  appendJson(body, a);
  body += ',';
  appendJson(body, b);
  body += ',';
  appendJson(body, other);
  body += "]}";
  auto page = parseSamplesPage(body);
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(page->samples.size(), 3u);
  EXPECT_EQ(page->samples[0].id.get(), page->samples[1].id.get());
  EXPECT_NE(page->samples[0].id.get(), page->samples[2].id.get());
  EXPECT_EQ(page->samples[2].id->containerId, "containerd://restarted");
  EXPECT_EQ(page->samples[1].time, a.time + 10);
}

}  // namespace
}  // namespace lg::agent
