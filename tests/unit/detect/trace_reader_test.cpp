#include "controllers/detect/trace_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace lg::detect {
namespace {

constexpr const char* kHeader =
    "timestamp,working_set_bytes,anon_bytes,file_bytes,limit_bytes,open_fds,fd_limit,threads,"
    "threads_limit\n";

TEST(TraceReader, ParsesRowsAndUnknownCells) {
  const std::string text = std::string(kHeader) + "0.0,100,90,5,1000,,,,\n15,110,95,,1000,3,64,,\n";
  auto t = parseTrace(text, "t.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_TRUE(t->hasAnon);
  EXPECT_EQ(t->rows[1].timestamp, 15);
  EXPECT_EQ(t->rows[1].anon, 95);
  EXPECT_TRUE(std::isnan(t->rows[1].file));
  EXPECT_EQ(t->rows[1].openFds, 3);
  EXPECT_TRUE(std::isnan(t->rows[0].threads));
}

TEST(TraceReader, ColumnsAreFoundByName) {
  auto t = parseTrace("threads,timestamp,extra\n5,0,x\n6,15,y\n", "t.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows[1].threads, 6);
  EXPECT_FALSE(t->hasAnon);
}

TEST(TraceReader, ErrorsNameFileLineAndColumn) {
  auto bad = parseTrace(std::string(kHeader) + "0,1,2,3,4,,,,\n15,1,x2,3,4,,,,\n", "f.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "f.csv:3: column 'anon_bytes': not a non-negative number: 'x2'");

  auto backwards = parseTrace(std::string(kHeader) + "30,1,2,3,4,,,,\n15,1,2,3,4,,,,\n", "f.csv");
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.error().message.find("f.csv:3: timestamp 15 goes backwards"),
            std::string::npos)
      << backwards.error().message;

  auto fields = parseTrace(std::string(kHeader) + "0,1,2\n", "f.csv");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.error().message.find("f.csv:2: expected 9 fields"), std::string::npos);

  auto noTs = parseTrace("anon_bytes,limit_bytes\n1,2\n", "f.csv");
  ASSERT_FALSE(noTs.ok());
  EXPECT_NE(noTs.error().message.find("no 'timestamp' column"), std::string::npos);

  auto negative = parseTrace(std::string(kHeader) + "0,-1,2,3,4,,,,\n", "f.csv");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().message.find("working_set_bytes"), std::string::npos);

  auto emptyTs = parseTrace(std::string(kHeader) + ",1,2,3,4,,,,\n", "f.csv");
  ASSERT_FALSE(emptyTs.ok());
  EXPECT_NE(emptyTs.error().message.find("'timestamp' is empty"), std::string::npos);
}

TEST(TraceReader, EmptyInputs) {
  auto empty = parseTrace("", "e.csv");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "e.csv: empty file (no header, no samples)");
  auto headerOnly = parseTrace(kHeader, "h.csv");
  ASSERT_FALSE(headerOnly.ok());
  EXPECT_EQ(headerOnly.error().message, "h.csv: no samples after the header");
}

TEST(TraceReader, ToleratesCrlfAndBlankLines) {
  auto t = parseTrace("timestamp,threads\r\n\r\n0,1\r\n15,2\r\n", "w.csv");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows.size(), 2u);
}

TEST(TraceReader, MissingFileIsAnError) {
  auto t = readTrace("/nonexistent/dir/x.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("/nonexistent/dir/x.csv: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace lg::detect
