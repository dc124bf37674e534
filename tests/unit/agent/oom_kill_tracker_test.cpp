#include "controllers/agent/oom_kill_tracker.h"

#include <gtest/gtest.h>

namespace lg::agent {
namespace {

TEST(OomKillTracker, CountsEveryInstanceOfAContainer) {
  OomKillTracker t;
  t.noteContainer("pod-1", "app", "id-1");
  t.recordKernelKill("pod-1", "id-1");
  EXPECT_EQ(t.kills("pod-1", "app"), 1u);
  // Restarted: the status names the new id and the old one as last terminated.
  t.noteContainer("pod-1", "app", "id-2");
  t.noteContainer("pod-1", "app", "id-1");
  t.recordKernelKill("pod-1", "id-2");
  EXPECT_EQ(t.kills("pod-1", "app"), 2u);
  EXPECT_EQ(t.kills("pod-1", "sidecar"), 0u);
  EXPECT_EQ(t.kills("pod-2", "app"), 0u);
}

TEST(OomKillTracker, KillsBeforeTheStatusNamesTheIdAreAttributedLater) {
  OomKillTracker t;
  t.recordKernelKill("pod-1", "id-9");
  EXPECT_EQ(t.kills("pod-1", "app"), 0u);
  EXPECT_EQ(t.unattributedKills("pod-1"), 1u);
  t.noteContainer("pod-1", "app", "id-9");
  EXPECT_EQ(t.kills("pod-1", "app"), 1u);
  EXPECT_EQ(t.unattributedKills("pod-1"), 0u);
}

TEST(OomKillTracker, CgroupCountersAndTheKernelLogAreNotAddedTwice) {
  OomKillTracker t;
  t.noteContainer("pod-1", "app", "id-1");
  t.recordKernelKill("pod-1", "id-1");
  t.noteCgroupCounter("pod-1", "id-1", 1);  // the same kill, seen by both
  EXPECT_EQ(t.kills("pod-1", "app"), 1u);
  t.noteCgroupCounter("pod-1", "id-1", 3);  // the log missed two
  EXPECT_EQ(t.kills("pod-1", "app"), 3u);
  t.noteCgroupCounter("pod-1", "id-1", 2);  // counters never go back
  EXPECT_EQ(t.kills("pod-1", "app"), 3u);
}

TEST(OomKillTracker, BoundedPerPodWithoutLosingCounts) {
  OomKillTracker t;
  for (std::size_t i = 0; i < 3 * OomKillTracker::kMaxIdsPerPod; ++i) {
    const std::string id = "id-" + std::to_string(i);
    t.noteContainer("pod-1", "app", id);
    t.recordKernelKill("pod-1", id);
  }
  EXPECT_EQ(t.kills("pod-1", "app"), 3 * OomKillTracker::kMaxIdsPerPod);
}

TEST(OomKillTracker, ForgetsPodsThatLeft) {
  OomKillTracker t;
  t.recordKernelKill("pod-1", "a");
  t.recordKernelKill("pod-2", "b");
  t.forgetPodsExcept({"pod-2"});
  EXPECT_EQ(t.pods(), 1u);
  EXPECT_EQ(t.unattributedKills("pod-1"), 0u);
  EXPECT_EQ(t.unattributedKills("pod-2"), 1u);
}

}  // namespace
}  // namespace lg::agent
