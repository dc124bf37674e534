// TLS as HttpApiClient does it (TlsContext), against the local test server speaking HTTPS with
// self-signed certificates made by the openssl command: CA trust, the server's name and IP,
// SNI, client certificates (also rotated ones from an exec plugin), and what fails how.

#include "operator/kube/tls_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "operator/kube/http_api_client.h"
#include "operator/kube/subprocess.h"
#include "tests/fakes/kube/temp_dir.h"
#include "tests/fakes/kube/test_http_server.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Server = testing::TestHttpServer;

struct KeyPair {
  std::string cert;
  std::string key;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A self-signed EC certificate (CA:TRUE, so it can serve as its own trust anchor).
KeyPair selfSigned(const testing::TempDir& dir, const std::string& cn, const std::string& san) {
  ProcessOptions o;
  o.argv = {"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=" + cn,
            "-keyout",
            dir.file(cn + ".key"),
            "-out",
            dir.file(cn + ".crt")};
  if (!san.empty()) {
    o.argv.push_back("-addext");
    o.argv.push_back("subjectAltName=" + san);
  }
  auto r = runProcess(o);
  EXPECT_TRUE(r.ok() && r->exitCode == 0) << (r.ok() ? r->err : r.error().message);
  return {slurp(dir.file(cn + ".crt")), slurp(dir.file(cn + ".key"))};
}

class TlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    server_ = new KeyPair(selfSigned(*dir_, "lg-test-server", "IP:127.0.0.1,DNS:lg-test.local"));
    clientA_ = new KeyPair(selfSigned(*dir_, "client-a", ""));
    clientB_ = new KeyPair(selfSigned(*dir_, "client-b", ""));
    other_ = new KeyPair(selfSigned(*dir_, "other-ca", "DNS:other"));
  }
  static void TearDownTestSuite() {
    delete other_;
    delete clientB_;
    delete clientA_;
    delete server_;
    delete dir_;
  }

  std::unique_ptr<Server> httpsServer(bool requireClientCert) {
    Server::TlsOptions tls{.certPem = server_->cert,
                           .keyPem = server_->key,
                           .clientCaPem = requireClientCert ? clientA_->cert + clientB_->cert : ""};
    return std::make_unique<Server>([](Server::Exchange& ex) { ex.respond(200, R"({"ok":1})"); },
                                    tls);
  }

  ClusterConfig configFor(const Server& s) const {
    ClusterConfig c;
    c.server = s.url();
    c.caData = server_->cert;
    c.clientCertData = clientA_->cert;
    c.clientKeyData = clientA_->key;
    return c;
  }

  Result<nlohmann::json> get(ClusterConfig c) {
    HttpApiClientOptions o;
    o.timeout = 5s;
    o.sleep = [this](std::chrono::milliseconds) { ++sleeps; };
    o.retry.maxAttempts = 2;
    auto client = HttpApiClient::create(std::move(c), o);
    if (!client) return client.error();
    return (*client)->getPath("/version");
  }

  int sleeps = 0;
  static testing::TempDir* dir_;
  static KeyPair* server_;
  static KeyPair* clientA_;
  static KeyPair* clientB_;
  static KeyPair* other_;
};

testing::TempDir* TlsContextTest::dir_ = nullptr;
KeyPair* TlsContextTest::server_ = nullptr;
KeyPair* TlsContextTest::clientA_ = nullptr;
KeyPair* TlsContextTest::clientB_ = nullptr;
KeyPair* TlsContextTest::other_ = nullptr;

TEST_F(TlsContextTest, TrustedServerByIpWithClientCertificate) {
  auto server = httpsServer(/*requireClientCert=*/true);
  auto r = get(configFor(*server));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto reqs = server->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].sni, "");  // never an IP literal in SNI
  EXPECT_EQ(reqs[0].clientCn, "client-a");
}

TEST_F(TlsContextTest, TlsServerNameIsVerifiedAndSentAsSni) {
  auto server = httpsServer(false);
  ClusterConfig c = configFor(*server);
  c.tlsServerName = "lg-test.local";
  auto r = get(c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(server->requests()[0].sni, "lg-test.local");
}

TEST_F(TlsContextTest, NameMismatchIsRejectedWithoutRetrying) {
  auto server = httpsServer(false);
  ClusterConfig c = configFor(*server);
  c.tlsServerName = "elsewhere.example";
  auto r = get(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_THAT(r.error().message, HasSubstr("hostname mismatch"));
  EXPECT_EQ(sleeps, 0);
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(TlsContextTest, UntrustedServerIsRejectedUnlessInsecure) {
  auto server = httpsServer(false);
  ClusterConfig c = configFor(*server);
  c.caData = other_->cert;
  auto r = get(c);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("server certificate verification failed"));
  EXPECT_EQ(sleeps, 0);

  c.caData.clear();
  c.insecureSkipVerify = true;
  c.tlsServerName = "elsewhere.example";  // not checked either
  auto insecure = get(c);
  EXPECT_TRUE(insecure.ok()) << insecure.error().message;
}

TEST_F(TlsContextTest, ServerDemandingAClientCertificate) {
  auto server = httpsServer(/*requireClientCert=*/true);
  ClusterConfig c = configFor(*server);
  c.clientCertData.clear();
  c.clientKeyData.clear();
  auto r = get(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(TlsContextTest, RotatedExecCertificateIsUsedOnNewConnections) {
  auto server = httpsServer(/*requireClientCert=*/true);
  ClusterConfig c = configFor(*server);
  std::atomic<bool> rotated{false};
  c.certificateSource = [&]() -> Result<ClientCertificate> {
    return rotated ? ClientCertificate{clientB_->cert, clientB_->key}
                   : ClientCertificate{clientA_->cert, clientA_->key};
  };
  auto client = HttpApiClient::create(c);
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE((*client)->getPath("/a").ok());
  ASSERT_TRUE((*client)->getPath("/b").ok());
  rotated = true;
  ASSERT_TRUE((*client)->getPath("/c").ok());
  const auto reqs = server->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].clientCn, "client-a");
  EXPECT_EQ(reqs[1].connection, reqs[0].connection);  // kept alive
  EXPECT_EQ(reqs[2].clientCn, "client-b");
  EXPECT_NE(reqs[2].connection, reqs[0].connection);  // the old connection is not reused
}

TEST_F(TlsContextTest, BadPemIsACreateError) {
  ClusterConfig c;
  c.server = "https://127.0.0.1:1";
  c.caData = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  auto r = HttpApiClient::create(c);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("certificate authority"));

  c.caData = server_->cert;
  c.clientCertData = clientA_->cert;
  c.clientKeyData = clientB_->key;
  auto mismatch = HttpApiClient::create(c);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.error().message, HasSubstr("client"));
}

TEST_F(TlsContextTest, BuildsAContextWithoutAClientCertificate) {
  auto url = parseServerUrl("https://127.0.0.1:6443");
  ASSERT_TRUE(url.ok());
  ClusterConfig c;
  c.caData = server_->cert;
  auto t = TlsContext::create(c, *url, {});
  ASSERT_TRUE(t.ok()) << t.error().message;
}

}  // namespace
}  // namespace lg::kube
