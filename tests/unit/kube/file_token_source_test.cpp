#include "operator/kube/file_token_source.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/temp_dir.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Gives the file a fixed mtime, so that a rewrite of the same size looks unchanged by stat().
void pinMtime(const std::string& path) {
  const timespec times[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

TEST(FileTokenSourceTest, CachesUntilTheFileChangesOrMaxAge) {
  testing::TempDir dir;
  lg::testing::FakeClock clock;
  const std::string path = dir.write("token", "aaaa");
  pinMtime(path);
  FileTokenSource src(path, clock, 60s);
  EXPECT_EQ(*src.token(), "aaaa");

  // Same size, same mtime, rewritten in place (not a real kubelet rotation, but the worst
  // case): invisible to stat, so picked up only when the cached copy is maxAge old.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "bbbb";
  }
  pinMtime(path);
  clock.advance(59s);
  EXPECT_EQ(*src.token(), "aaaa");
  clock.advance(1s);
  EXPECT_EQ(*src.token(), "bbbb");
}

TEST(FileTokenSourceTest, KeepsTheLastTokenWhenTheFileVanishes) {
  testing::TempDir dir;
  lg::testing::FakeClock clock;
  const std::string path = dir.write("token", "kept\n");
  FileTokenSource src(path, clock);
  EXPECT_EQ(*src.token(), "kept");
  std::filesystem::remove(path);
  auto t = src.token();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, "kept");
  dir.write("token", "back");
  EXPECT_EQ(*src.token(), "back");
}

TEST(FileTokenSourceTest, ErrorsNameTheFile) {
  testing::TempDir dir;
  lg::testing::FakeClock clock;
  FileTokenSource missing(dir.file("nope"), clock);
  auto e = missing.token();
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message, HasSubstr(dir.file("nope")));
  FileTokenSource empty(dir.write("empty", " \n"), clock);
  ASSERT_FALSE(empty.token().ok());
  EXPECT_THAT(empty.token().error().message, HasSubstr("empty"));
}

}  // namespace
}  // namespace lg::kube
