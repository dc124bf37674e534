#include "operator/runtime/accept_loop.h"

#include <boost/asio.hpp>

#include "operator/runtime/health_server.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace asio = boost::asio;

AcceptLoop::AcceptLoop(AcceptLoopOptions opts) : opts_(std::move(opts)) {}

AcceptLoop::~AcceptLoop() {
  stop();
}

Status AcceptLoop::start(OnAccept onAccept) {
  if (started_) return makeError(opts_.name + " already started");
  auto parsed = parseBindAddress(opts_.bindAddress);
  if (!parsed.ok()) return parsed.error();
  auto [host, port] = *parsed;
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return makeError("bad bind host " + host + ": " + ec.message());
  const tcp::endpoint ep{addr, port};
  tcp::acceptor acc(ioc_);
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return makeError("cannot listen on " + opts_.bindAddress + ": " + ec.message(), ec.value());
  port_ = acc.local_endpoint().port();
  acceptor_.emplace(std::move(acc));
  onAccept_ = std::move(onAccept);
  started_ = true;
  accept();
  thread_ = std::thread([this] { ioc_.run(); });
  return okStatus();
}

void AcceptLoop::accept() {
  acceptor_->async_accept(ioc_, [this](boost::system::error_code ec, tcp::socket s) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) return;
      LG_LOG(warn, "accept failed", {{"server", opts_.name}, {"error", ec.message()}});
    } else if (connections_->fetch_add(1) >= opts_.maxConnections) {
      connections_->fetch_sub(1);
      boost::system::error_code ignored;
      s.close(ignored);
    } else {
      boost::system::error_code rec;
      const auto remote = s.remote_endpoint(rec);
      std::string peer =
          rec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
      Slot slot(nullptr, [count = connections_](void*) { count->fetch_sub(1); });
      onAccept_(std::move(s), std::move(peer), std::move(slot));
    }
    accept();
  });
}

void AcceptLoop::stop(const std::function<void()>& onIoThread) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  asio::post(ioc_, [this, onIoThread] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    if (onIoThread) onIoThread();
  });
  if (thread_.joinable()) thread_.join();
}

}  // namespace lg::runtime
