#include "operator/kube/api_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lg::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ApiStatusTest, NotFoundMessage) {
  const Error e = statusError(
      404,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"configmaps"},"code":404})");
  EXPECT_EQ(e.code, 404);
  EXPECT_EQ(e.message, R"(configmaps "x" not found)");
}

TEST(ApiStatusTest, CausesAreAppendedWithTheirField) {
  const std::string body = R"({"kind":"Status","status":"Failure",
    "message":"LeakPolicy.leakguard.io \"p\" is invalid",
    "reason":"Invalid","code":422,
    "details":{"causes":[
      {"reason":"FieldValueInvalid","field":"spec.playbook[1].when.exhaustionWithin",
       "message":"Invalid value: \"30\": must be a duration such as 30m"},
      {"reason":"FieldValueRequired","field":"spec.selector","message":"Required value"}]}})";
  const std::string m = statusMessage(422, body);
  EXPECT_THAT(m, HasSubstr(R"(LeakPolicy.leakguard.io "p" is invalid)"));
  EXPECT_THAT(
      m,
      HasSubstr(
          R"(spec.playbook[1].when.exhaustionWithin: Invalid value: "30": must be a duration such as 30m)"));
  EXPECT_THAT(m, HasSubstr("spec.selector: Required value"));
}

TEST(ApiStatusTest, CausesAlreadyInTheMessageAreNotRepeated) {
  const std::string body =
      R"({"kind":"Status","message":"ConfigMap \"c\" is invalid: data[a b]: Invalid value: \"a b\": bad key","reason":"Invalid","code":422,
    "details":{"causes":[{"field":"data[a b]","message":"Invalid value: \"a b\": bad key"}]}})";
  const std::string m = statusMessage(422, body);
  EXPECT_EQ(m, R"(ConfigMap "c" is invalid: data[a b]: Invalid value: "a b": bad key)");
}

TEST(ApiStatusTest, ReasonWhenNoMessage) {
  EXPECT_EQ(statusMessage(409, R"({"kind":"Status","reason":"Conflict"})"), "Conflict");
  EXPECT_EQ(statusMessage(500, R"({"kind":"Status"})"), "HTTP 500");
}

TEST(ApiStatusTest, NonStatusBodyIsQuotedShortAndClean) {
  const std::string html = "<html>\r\n<body>Bad Gateway</body></html>" + std::string(1000, 'x');
  const std::string m = statusMessage(502, html);
  EXPECT_THAT(m, HasSubstr("HTTP 502: <html>  <body>Bad Gateway"));
  EXPECT_THAT(m, Not(HasSubstr("\r")));
  EXPECT_LT(m.size(), 300u);
  EXPECT_EQ(statusMessage(503, ""), "HTTP 503");
}

TEST(ApiStatusTest, RetryAfterSeconds) {
  EXPECT_EQ(parseRetryAfter("3"), 3);
  EXPECT_EQ(parseRetryAfter(" 12 "), 12);
  EXPECT_EQ(parseRetryAfter("0"), 0);
  EXPECT_EQ(parseRetryAfter(""), std::nullopt);
  EXPECT_EQ(parseRetryAfter("-1"), std::nullopt);
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parseRetryAfter("99999999999"), std::nullopt);
}

}  // namespace
}  // namespace lg::kube
