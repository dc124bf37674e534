// AcceptLoop, the skeleton of both HTTP servers: binding, the connection limit and its slots,
// the peer's address, stop().

#include "operator/runtime/accept_loop.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Connects to 127.0.0.1:port; the socket stays open as long as the caller keeps it.
tcp::socket connect(asio::io_context& ioc, std::uint16_t port) {
  tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  return s;
}

// Whether the server closed `s` (a read sees end of file) within a second.
bool closedByServer(tcp::socket& s) {
  s.non_blocking(true);
  for (int i = 0; i < 100; ++i) {
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 200 && !pred(); ++i)
    std::this_thread::sleep_for(5ms);
  return pred();
}

TEST(AcceptLoopTest, KeepsToTheLimitAndASlotFreedTakesTheNextConnection) {
  AcceptLoop loop({.bindAddress = "127.0.0.1:0", .maxConnections = 2, .name = "test"});
  std::mutex mu;
  std::vector<std::pair<tcp::socket, AcceptLoop::Slot>> held;
  std::vector<std::string> peers;
  ASSERT_TRUE(loop.start([&](tcp::socket s, std::string peer, AcceptLoop::Slot slot) {
                    std::lock_guard g(mu);
                    peers.push_back(peer);
                    held.emplace_back(std::move(s), std::move(slot));
                  })
                  .ok());
  ASSERT_NE(loop.port(), 0);
  asio::io_context client;
  auto a = connect(client, loop.port());
  auto b = connect(client, loop.port());
  ASSERT_TRUE(eventually([&] { return loop.connections() == 2; }));
  auto c = connect(client, loop.port());  // over the limit: closed at accept
  EXPECT_TRUE(closedByServer(c));
  EXPECT_EQ(loop.connections(), 2);
  {
    std::lock_guard g(mu);
    ASSERT_EQ(peers.size(), 2u);
    EXPECT_EQ(peers[0].rfind("127.0.0.1:", 0), 0u) << peers[0];
    held.erase(held.begin());  // a session ends: its socket and slot go
  }
  ASSERT_TRUE(eventually([&] { return loop.connections() == 1; }));
  auto d = connect(client, loop.port());
  ASSERT_TRUE(eventually([&] { return loop.connections() == 2; }));
  EXPECT_FALSE(closedByServer(d));
  loop.stop([&] {
    std::lock_guard g(mu);
    held.clear();
  });
  EXPECT_EQ(loop.connections(), 0);
  loop.stop();  // again: nothing
}

TEST(AcceptLoopTest, BadAddressesAndATakenPortAreRefused) {
  AcceptLoop bad({.bindAddress = "nowhere", .name = "test"});
  const Status s = bad.start([](tcp::socket, std::string, AcceptLoop::Slot) {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("nowhere"), std::string::npos) << s.error().message;

  AcceptLoop first({.bindAddress = "127.0.0.1:0", .name = "first"});
  ASSERT_TRUE(first.start([](tcp::socket, std::string, AcceptLoop::Slot) {}).ok());
  AcceptLoop second({.bindAddress = "127.0.0.1:" + std::to_string(first.port()), .name = "second"});
  const Status taken = second.start([](tcp::socket, std::string, AcceptLoop::Slot) {});
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos)
      << taken.error().message;
  EXPECT_FALSE(first.start([](tcp::socket, std::string, AcceptLoop::Slot) {}).ok());
}

}  // namespace
}  // namespace lg::runtime
