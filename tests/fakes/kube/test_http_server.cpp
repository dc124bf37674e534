#include "tests/fakes/kube/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace lg::kube::testing {
namespace {

void sendAll(int fd, SSL* ssl, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ssl ? SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()))
                          : ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (!ssl && n < 0 && errno == EINTR) continue;
      return;  // the client went away; the test sees it from its side
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

ssize_t recvSome(int fd, SSL* ssl, char* buf, size_t size) {
  if (ssl) return SSL_read(ssl, buf, static_cast<int>(size));
  return ::recv(fd, buf, size, 0);
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Reads one request from fd (pending holds bytes read past the previous one). False at EOF.
bool readRequest(int fd, SSL* ssl, std::string& pending, TestHttpServer::Request& req) {
  size_t headerEnd;
  while ((headerEnd = pending.find("\r\n\r\n")) == std::string::npos) {
    char buf[4096];
    const ssize_t n = recvSome(fd, ssl, buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  const std::string head = pending.substr(0, headerEnd);
  pending.erase(0, headerEnd + 4);
  size_t lineEnd = head.find("\r\n");
  const std::string requestLine = head.substr(0, lineEnd);
  const size_t sp1 = requestLine.find(' ');
  const size_t sp2 = requestLine.find(' ', sp1 + 1);
  req.method = requestLine.substr(0, sp1);
  req.target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
  while (lineEnd != std::string::npos) {
    const size_t start = lineEnd + 2;
    lineEnd = head.find("\r\n", start);
    const std::string line =
        head.substr(start, lineEnd == std::string::npos ? std::string::npos : lineEnd - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    req.headers[lower(line.substr(0, colon))] = value;
  }
  size_t length = 0;
  if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
    length = std::stoul(it->second);
  }
  while (pending.size() < length) {
    char buf[4096];
    const ssize_t n = recvSome(fd, ssl, buf, sizeof buf);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  req.body = pending.substr(0, length);
  pending.erase(0, length);
  return true;
}

}  // namespace

void TestHttpServer::Exchange::respond(
    int status, std::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
  bool hasType = false;
  for (const auto& [k, v] : headers) {
    out += k + ": " + v + "\r\n";
    hasType = hasType || lower(k) == "content-type";
  }
  if (!hasType) out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  writeRaw(out);
  if (close) this->close();
}

void TestHttpServer::Exchange::respondStatus(
    int code, std::string_view reason, std::string_view message,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string body = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)";
  body += R"("message":")" + std::string(message) + R"(","reason":")" + std::string(reason) +
          R"(","code":)" + std::to_string(code) + "}";
  respond(code, body, headers);
}

void TestHttpServer::Exchange::startChunked(int status) {
  writeRaw("HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
}

void TestHttpServer::Exchange::chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  writeRaw(std::string(size) + std::string(data) + "\r\n");
}

void TestHttpServer::Exchange::endChunks() {
  writeRaw("0\r\n\r\n");
}

void TestHttpServer::Exchange::writeRaw(std::string_view bytes) {
  if (!closed_) sendAll(fd_, ssl_, bytes);
}

void TestHttpServer::Exchange::close() {
  if (closed_) return;
  closed_ = true;
  ::shutdown(fd_, SHUT_RDWR);
}

bool TestHttpServer::Exchange::sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(server_.mu_);
  return !server_.cv_.wait_for(lock, d, [this] { return server_.stopping(); });
}

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  start();
}

TestHttpServer::TestHttpServer(Handler handler, const TlsOptions& tls)
    : handler_(std::move(handler)) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  auto load = [](const std::string& pem, auto reader) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    auto* obj = reader(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return obj;
  };
  X509* cert = load(tls.certPem, PEM_read_bio_X509);
  EVP_PKEY* key = load(tls.keyPem, PEM_read_bio_PrivateKey);
  const bool ok = cert && key && SSL_CTX_use_certificate(ctx_, cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx_, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) {
    SSL_CTX_free(ctx_);
    throw std::runtime_error("TestHttpServer: bad server certificate or key");
  }
  if (!tls.clientCaPem.empty()) {
    BIO* bio = BIO_new_mem_buf(tls.clientCaPem.data(), static_cast<int>(tls.clientCaPem.size()));
    while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
      X509_free(ca);
    }
    BIO_free(bio);
    ERR_clear_error();
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  start();
}

void TestHttpServer::start() {
  // A client that hangs up must not kill the test with SIGPIPE (OpenSSL writes with write()).
  ::signal(SIGPIPE, SIG_IGN);
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listenFd_, 64) != 0) {
    throw std::runtime_error("bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (int fd : openFds_)
      ::shutdown(fd, SHUT_RDWR);
  }
  cv_.notify_all();
  ::shutdown(listenFd_, SHUT_RDWR);  // wakes accept()
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    t.join();
  ::close(listenFd_);
  if (ctx_) SSL_CTX_free(ctx_);
}

std::vector<TestHttpServer::Request> TestHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void TestHttpServer::acceptLoop() {
  for (;;) {
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    const int connection = ++accepted_;
    openFds_.push_back(fd);
    threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void TestHttpServer::serve(int fd, int connection) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL* ssl = nullptr;
  std::string sni, clientCn;
  bool handshakeOk = true;
  if (ctx_) {
    ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    handshakeOk = SSL_accept(ssl) == 1;
    if (handshakeOk) {
      if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) sni = name;
      if (X509* peer = SSL_get1_peer_certificate(ssl)) {
        char cn[256] = {0};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
        clientCn = cn;
        X509_free(peer);
      }
    }
    ERR_clear_error();
  }
  std::string pending;
  for (int n = 1; handshakeOk && !stopping(); ++n) {
    Request req;
    if (!readRequest(fd, ssl, pending, req)) break;
    req.connection = connection;
    req.sni = sni;
    req.clientCn = clientCn;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    Exchange ex(req, n, fd, ssl, *this);
    handler_(ex);
    if (ex.closed_) break;
  }
  if (ssl) SSL_free(ssl);
  ERR_clear_error();
  std::lock_guard lock(mu_);
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
  openFds_.erase(std::remove(openFds_.begin(), openFds_.end(), fd), openFds_.end());
}

}  // namespace lg::kube::testing
