#pragma once
// A scriptable HTTP/1.1 server on 127.0.0.1 for HttpApiClient tests. Each accepted connection
// gets a thread that reads requests (Beast) and hands each to the test's handler, which answers
// through the Exchange: a whole response, raw bytes, chunks of a streamed body, a sleep, a
// close. Records every request and the connection it came on, so tests can check keep-alive
// reuse. With TlsOptions it speaks HTTPS (OpenSSL, blocking), optionally demanding a client
// certificate, and records the SNI and client certificate it saw. The destructor stops
// everything: sleeping handlers wake up, sockets are shut down, threads joined.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace lg::kube::testing {

class TestHttpServer {
 public:
  struct Request {
    std::string method;
    std::string target;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
    int connection = 0;                          // 1 for the first connection accepted
    std::string sni;       // TLS: the server name the client sent ("" for none)
    std::string clientCn;  // TLS: the client certificate's common name ("" for none)
  };

  struct TlsOptions {
    std::string certPem;  // the server's certificate and key
    std::string keyPem;
    std::string clientCaPem;  // non-empty: client certificates signed by these are required
  };

  class Exchange {
   public:
    const Request& request;
    int connectionRequestNumber;  // 1 for the connection's first request

    // A complete response with Content-Length. close: send "Connection: close" and close.
    void respond(int status, std::string_view body,
                 const std::vector<std::pair<std::string, std::string>>& headers = {},
                 bool close = false);
    // A Status object as the API server sends it.
    void respondStatus(int code, std::string_view reason, std::string_view message,
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
    // The header of a chunked 200 response; the body follows with chunk() and endChunks().
    void startChunked(int status = 200);
    void chunk(std::string_view data);
    void endChunks();
    void writeRaw(std::string_view bytes);
    // Closes the connection at once (mid-response, if one was started).
    void close();
    // Sleeps; returns early (false) when the server is stopping.
    bool sleep(std::chrono::milliseconds d);

   private:
    friend class TestHttpServer;
    Exchange(const Request& r, int n, int fd, SSL* ssl, TestHttpServer& s)
        : request(r), connectionRequestNumber(n), fd_(fd), ssl_(ssl), server_(s) {}
    int fd_;
    SSL* ssl_;
    TestHttpServer& server_;
    bool closed_ = false;
  };

  using Handler = std::function<void(Exchange&)>;

  explicit TestHttpServer(Handler handler);
  // HTTPS; throws std::runtime_error if the PEMs do not load.
  TestHttpServer(Handler handler, const TlsOptions& tls);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string url() const {
    return std::string(ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  int connectionsAccepted() const { return accepted_.load(); }
  std::vector<Request> requests() const;

 private:
  void start();
  void acceptLoop();
  void serve(int fd, int connection);
  bool stopping() const { return stopping_.load(); }

  Handler handler_;
  SSL_CTX* ctx_ = nullptr;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> requests_;
  std::vector<int> openFds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace lg::kube::testing
