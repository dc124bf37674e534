#include "operator/kube/kubeconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "operator/kube/base64.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/temp_dir.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCa = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
const std::string kCert = "-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n";
const std::string kKey = "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n";

int countLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    ++n;
  return n;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A kubeconfig with one cluster, one context "x" and the given user entry.
std::string withUser(const std::string& user) {
  return R"(
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
users:
- name: u
  user: )" +
         user + R"(
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)";
}

class KubeconfigTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  lg::testing::FakeClock clock;  // 2026-01-01T00:00:00Z

  Result<ClusterConfig> load(const std::string& yaml, const std::string& context = "") {
    const std::string path = dir.write("kube/config", yaml);
    KubeconfigOptions o;
    o.context = context;
    o.clock = &clock;
    o.execTimeout = 2000ms;
    return loadKubeconfigFiles({path}, o);
  }

  std::string loadError(const std::string& yaml, const std::string& context = "") {
    auto r = load(yaml, context);
    EXPECT_FALSE(r.ok()) << yaml;
    return r.ok() ? "" : r.error().message;
  }
};

TEST_F(KubeconfigTest, CurrentContextWithInlineData) {
  auto c = load(R"(apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://198.18.255.1:6443
    certificate-authority-data: )" +
                base64Encode(kCa) + R"(
users:
- name: admin
  user:
    client-certificate-data: )" +
                base64Encode(kCert) + R"(
    client-key-data: )" +
                base64Encode(kKey) + R"(
contexts:
- name: admin@e2e
  context:
    cluster: e2e
    user: admin
    namespace: shop
current-context: admin@e2e
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://198.18.255.1:6443");
  EXPECT_EQ(c->caData, kCa);
  EXPECT_EQ(c->clientCertData, kCert);
  EXPECT_EQ(c->clientKeyData, kKey);
  EXPECT_EQ(c->ns, "shop");
  EXPECT_FALSE(c->tokenSource);
  EXPECT_FALSE(c->insecureSkipVerify);
  EXPECT_THAT(c->origin, HasSubstr("context admin@e2e"));
}

const char* kTwoContexts = R"(
clusters:
- name: a
  cluster:
    server: https://a.example:443
    certificate-authority: pki/ca.crt
    tls-server-name: kubernetes.default.svc
- name: b
  cluster:
    server: https://b.example
    insecure-skip-tls-verify: true
users:
- name: files
  user:
    client-certificate: pki/client.crt
    client-key: /ABSOLUTE_KEY
- name: tok
  user:
    token: s3cret-token
contexts:
- name: ctx-a
  context: {cluster: a, user: files}
- name: ctx-b
  context: {cluster: b, user: tok}
current-context: ctx-a
)";

TEST_F(KubeconfigTest, NamedContextWithFilesRelativeToTheKubeconfig) {
  dir.write("kube/pki/ca.crt", kCa);
  dir.write("kube/pki/client.crt", kCert);
  const std::string keyPath = dir.write("elsewhere/client.key", kKey);
  std::string yaml = kTwoContexts;
  yaml.replace(yaml.find("/ABSOLUTE_KEY"), 13, keyPath);

  auto a = load(yaml);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->server, "https://a.example:443");
  EXPECT_EQ(a->caData, kCa);
  EXPECT_EQ(a->clientCertData, kCert);
  EXPECT_EQ(a->clientKeyData, kKey);
  EXPECT_EQ(a->tlsServerName, "kubernetes.default.svc");

  auto b = load(yaml, "ctx-b");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->server, "https://b.example");
  EXPECT_TRUE(b->insecureSkipVerify);
  ASSERT_TRUE(b->tokenSource);
  EXPECT_EQ(*b->tokenSource(), "s3cret-token");
  EXPECT_TRUE(b->clientCertData.empty());
}

TEST_F(KubeconfigTest, TokenFileIsRelativeAndRereadWhenItChanges) {
  dir.write("kube/token", "first\n");
  auto c = load(withUser("{token: static, tokenFile: token}"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->tokenSource);
  EXPECT_EQ(*c->tokenSource(), "first");  // the file wins over the static token
  dir.write("kube/token", "second-token\n");
  EXPECT_EQ(*c->tokenSource(), "second-token");
}

TEST_F(KubeconfigTest, ExecPluginTokenIsCachedUntilExpiry) {
  dir.write("kube/bin/plugin.sh", R"(#!/bin/sh
echo "$@" >> "$(dirname "$0")/runs"
printf '%s\n' "$KUBERNETES_EXEC_INFO" > "$(dirname "$0")/info"
echo "to stderr, ignored" >&2
cat <<JSON
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
 "status":{"token":"exec-$PLUGIN_SUFFIX","expirationTimestamp":"2026-01-01T01:00:00Z"}}
JSON
)",
            /*executable=*/true);
  auto c = load(R"(
clusters:
- name: c
  cluster: {server: "https://h:6443", certificate-authority-data: )" +
                base64Encode(kCa) + R"(}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/plugin.sh
      args: [get-token, --cluster=c]
      env: [{name: PLUGIN_SUFFIX, value: abc}]
      interactiveMode: Never
      provideClusterInfo: true
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_TRUE(c->tokenSource);
  auto t1 = c->tokenSource();
  ASSERT_TRUE(t1.ok()) << t1.error().message;
  EXPECT_EQ(*t1, "exec-abc");
  EXPECT_EQ(*c->tokenSource(), "exec-abc");
  EXPECT_EQ(countLines(dir.file("kube/bin/runs")), 1);  // cached
  EXPECT_EQ(readAll(dir.file("kube/bin/runs")), "get-token --cluster=c\n");
  const std::string info = readAll(dir.file("kube/bin/info"));
  EXPECT_THAT(info, HasSubstr(R"("interactive":false)"));
  EXPECT_THAT(info, HasSubstr(R"("server":"https://h:6443")"));
  EXPECT_THAT(info, HasSubstr(base64Encode(kCa)));

  clock.advance(59min + 51s);  // within 10 s of expiry: refreshed ahead of it
  EXPECT_EQ(*c->tokenSource(), "exec-abc");
  EXPECT_EQ(countLines(dir.file("kube/bin/runs")), 2);

  ASSERT_TRUE(c->invalidateCredentials);
  c->invalidateCredentials();  // as after a 401
  EXPECT_EQ(*c->tokenSource(), "exec-abc");
  EXPECT_EQ(countLines(dir.file("kube/bin/runs")), 3);

  ASSERT_TRUE(c->certificateSource);
  auto cert = c->certificateSource();
  ASSERT_TRUE(cert.ok());
  EXPECT_TRUE(cert->certPem.empty());  // this plugin gives tokens only
}

TEST_F(KubeconfigTest, ExecPluginTokenNotRefreshedEarly) {
  dir.write("kube/p.sh", R"(#!/bin/sh
echo run >> "$(dirname "$0")/runs"
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2026-01-01T01:00:00Z"}}'
)",
            true);
  auto c = load(withUser("{exec: {apiVersion: client.authentication.k8s.io/v1, command: ./p.sh}}"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*c->tokenSource(), "t");
  clock.advance(59min + 49s);  // 11 s before expiry: still good
  EXPECT_EQ(*c->tokenSource(), "t");
  EXPECT_EQ(countLines(dir.file("kube/runs")), 1);
}

TEST_F(KubeconfigTest, ExecPluginClientCertificateV1beta1) {
  dir.write("kube/cert-plugin", R"(#!/bin/sh
cat <<'JSON'
{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",
 "status":{"clientCertificateData":"-----BEGIN CERTIFICATE-----\nEXEC\n-----END CERTIFICATE-----\n",
           "clientKeyData":"-----BEGIN PRIVATE KEY-----\nEXECKEY\n-----END PRIVATE KEY-----\n"}}
JSON
)",
            true);
  auto c = load(withUser(
      "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: ./cert-plugin}}"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto cert = c->certificateSource();
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_THAT(cert->certPem, HasSubstr("EXEC"));
  EXPECT_THAT(cert->keyPem, HasSubstr("EXECKEY"));
  EXPECT_EQ(*c->tokenSource(), "");  // no token: no Authorization header
}

TEST_F(KubeconfigTest, ExecPluginFailuresAreClearAndNeverShowTheToken) {
  dir.write("kube/fail.sh",
            "#!/bin/sh\necho 'not-a-token-leak'\necho 'login expired' >&2\nexit 3\n", true);
  dir.write("kube/slow.sh", "#!/bin/sh\nsleep 10\n", true);
  dir.write("kube/wrongver.sh",
            "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
            "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"SECRET\"}}'\n",
            true);
  auto execUser = [](const std::string& command, const std::string& extra = "") {
    return withUser("{exec: {apiVersion: client.authentication.k8s.io/v1, command: " + command +
                    extra + "}}");
  };
  auto failing = load(execUser("./fail.sh"));
  ASSERT_TRUE(failing.ok()) << failing.error().message;
  auto e1 = failing->tokenSource();
  ASSERT_FALSE(e1.ok());
  EXPECT_THAT(e1.error().message,
              AllOf(HasSubstr("fail.sh"), HasSubstr("exit status 3"), HasSubstr("login expired"),
                    Not(HasSubstr("not-a-token-leak"))));

  const auto start = std::chrono::steady_clock::now();
  auto slow = load(execUser("./slow.sh"));
  ASSERT_TRUE(slow.ok());
  auto e2 = slow->tokenSource();
  ASSERT_FALSE(e2.ok());
  EXPECT_THAT(e2.error().message, HasSubstr("timed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  auto wrong = load(execUser("./wrongver.sh"));
  ASSERT_TRUE(wrong.ok());
  auto e3 = wrong->tokenSource();
  ASSERT_FALSE(e3.ok());
  EXPECT_THAT(e3.error().message, AllOf(HasSubstr("v1beta1"), Not(HasSubstr("SECRET"))));

  auto missing = load(execUser("lg-no-such-plugin", ", installHint: 'install it from x'"));
  ASSERT_TRUE(missing.ok());
  auto e4 = missing->tokenSource();
  ASSERT_FALSE(e4.ok());
  EXPECT_THAT(e4.error().message,
              AllOf(HasSubstr("lg-no-such-plugin"), HasSubstr("install it from x")));
}

TEST_F(KubeconfigTest, MissingAndBadFieldsNameTheFileAndField) {
  const std::string path = dir.file("kube/config");
  const std::string base = R"(
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
)";
  EXPECT_TRUE(load(base + "current-context: x\n").ok());
  EXPECT_THAT(loadError(base), AllOf(HasSubstr(path), HasSubstr("current-context is not set")));
  EXPECT_THAT(loadError(base, "nope"), HasSubstr("context \"nope\" is not defined"));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
contexts: [{name: x, context: {cluster: other, user: u}}]
current-context: x
)"),
              AllOf(HasSubstr(path), HasSubstr("cluster \"other\" is not defined")));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
contexts: [{name: x, context: {cluster: c, user: ghost}}]
current-context: x
)"),
              HasSubstr("user \"ghost\" is not defined"));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {certificate-authority-data: eA==}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
              AllOf(HasSubstr(path), HasSubstr("clusters[\"c\"].cluster: server is missing")));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h", certificate-authority-data: "not base64!"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
              HasSubstr("clusters[\"c\"].cluster.certificate-authority-data: base64"));
  EXPECT_THAT(
      loadError(R"(
clusters: [{name: c, cluster: {server: "https://h", certificate-authority: missing/ca.crt}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
      AllOf(HasSubstr("certificate-authority"), HasSubstr(dir.file("kube/missing/ca.crt"))));
  EXPECT_THAT(loadError(withUser("{client-certificate-data: " + base64Encode(kCert) + "}")),
              HasSubstr("needs a client key"));
  EXPECT_THAT(loadError(withUser("{exec: {apiVersion: client.authentication.k8s.io/v1}}")),
              HasSubstr("users[\"u\"].user.exec.command is missing"));
  EXPECT_THAT(loadError(withUser("{exec: {command: x}}")), HasSubstr("exec.apiVersion is missing"));
  EXPECT_THAT(loadError(withUser("{token: t, exec: {command: x, apiVersion: v}}")),
              HasSubstr("mutually exclusive"));
  EXPECT_THAT(loadError(withUser("{auth-provider: {name: oidc}}")),
              HasSubstr("auth-provider: not supported"));
  EXPECT_THAT(loadError(withUser("{username: admin, password: hunter2}")),
              AllOf(HasSubstr("not supported"), Not(HasSubstr("hunter2"))));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h", proxy-url: "http://proxy:3128"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
              HasSubstr("proxy-url"));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h", insecure-skip-tls-verify: true,
                               certificate-authority-data: )" +
                        base64Encode(kCa) + R"(}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
              HasSubstr("insecure-skip-tls-verify together with a certificate authority"));
  EXPECT_THAT(loadError(R"(
clusters: [{name: c, cluster: {server: "https://h", insecure-skip-tls-verify: perhaps}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)"),
              HasSubstr("insecure-skip-tls-verify: must be true or false"));
  EXPECT_THAT(loadError(withUser("{tokenFile: no-such-token}")),
              AllOf(HasSubstr("tokenFile"), HasSubstr(dir.file("kube/no-such-token"))));
  EXPECT_THAT(loadError("clusters: [unclosed\n"), AllOf(HasSubstr(path), HasSubstr("YAML")));
  EXPECT_THAT(loadError("- just\n- a list\n"), HasSubstr("not a kubeconfig"));
  EXPECT_THAT(loadError("clusters: {name: c}\ncurrent-context: x\n"
                        "contexts: [{name: x, context: {cluster: c}}]\n"),
              HasSubstr("clusters must be a list"));
}

TEST_F(KubeconfigTest, MissingFileIsNamed) {
  auto r = loadKubeconfig(dir.file("absent.yaml"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr(dir.file("absent.yaml")));
}

TEST_F(KubeconfigTest, SeveralFilesMergeFirstDefinitionWins) {
  const std::string first = dir.write("one.yaml", R"(
current-context: from-one
contexts: [{name: from-one, context: {cluster: shared, user: u}}]
clusters: [{name: shared, cluster: {server: "https://one:6443"}}]
)");
  const std::string second = dir.write("sub/two.yaml", R"(
current-context: from-two
clusters: [{name: shared, cluster: {server: "https://two:6443"}}]
users: [{name: u, user: {tokenFile: tok}}]
)");
  dir.write("sub/tok", "merged-token");
  KubeconfigOptions o;
  o.clock = &clock;
  auto c = loadKubeconfigFiles({first, second}, o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://one:6443");
  EXPECT_EQ(*c->tokenSource(), "merged-token");  // relative to two.yaml's directory
}

TEST(SplitKubeconfigPathsTest, SplitsOnColons) {
  EXPECT_EQ(splitKubeconfigPaths("/a:/b::/c:"), (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_TRUE(splitKubeconfigPaths("").empty());
}

}  // namespace
}  // namespace lg::kube
