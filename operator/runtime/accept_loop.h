#pragma once
// AcceptLoop: what LeakGuard's two HTTP servers share (the health server here, the node agent's
// HTTPS server in controllers/agent): a listener bound from a "host:port" address
// (parseBindAddress), an accept loop on one I/O thread of its own, and a limit on the
// connections open at once (more are closed at accept). What a connection then speaks is the
// server's own: `onAccept` gets the socket, the peer and the connection's slot, which frees the
// slot when the last copy of it goes (keep it in the session).
//
//   AcceptLoop loop({.bindAddress = ":8080", .maxConnections = 64, .name = "health server"});
//   loop.start([](tcp::socket s, std::string peer, AcceptLoop::Slot slot) { ... });
//   ...
//   loop.stop([&] { /* on the I/O thread: close the sessions */ });
//
// Owners declare it after everything their sessions point at: destroying it destroys the
// io_context, and with it every pending handler and session, first.
//
// Thread safety: start() and stop() from one thread; port() from any. onAccept runs on the I/O
// thread.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "operator/util/result.h"

namespace lg::runtime {

struct AcceptLoopOptions {
  std::string bindAddress = ":8080";  // parseBindAddress; host "" is every IPv4 interface
  int maxConnections = 64;
  std::string name = "server";  // in logs and errors
};

class AcceptLoop {
 public:
  using tcp = boost::asio::ip::tcp;
  // Holds one of the maxConnections until the last copy is destroyed.
  using Slot = std::shared_ptr<void>;
  using OnAccept = std::function<void(tcp::socket socket, std::string peer, Slot slot)>;

  explicit AcceptLoop(AcceptLoopOptions opts);
  ~AcceptLoop();  // stop()
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

  boost::asio::io_context& ioc() { return ioc_; }
  // Binds, listens, and accepts on a thread of its own. Errors: a bad address, bind failure,
  // started twice.
  Status start(OnAccept onAccept);
  // Closes the listener and runs `onIoThread` on the I/O thread (to close the sessions, or to
  // stop the io_context at once), then joins the thread: it ends when nothing is left to do.
  // Idempotent.
  void stop(const std::function<void()>& onIoThread = {});
  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const { return port_.load(); }
  int connections() const { return connections_->load(); }

 private:
  void accept();

  AcceptLoopOptions opts_;
  OnAccept onAccept_;
  std::atomic<std::uint16_t> port_{0};
  // Shared with the slots, which may outlive a stopped loop inside handlers being destroyed.
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  bool started_ = false;
  bool stopped_ = false;
  boost::asio::io_context ioc_{1};
  std::optional<tcp::acceptor> acceptor_;
  std::thread thread_;
};

}  // namespace lg::runtime
