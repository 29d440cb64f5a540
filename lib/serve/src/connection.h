// What kds-serve's connections (http1_session.h, http2_session.h) share with the server that accepted them
// (http_server.cpp): the service, the options, whether a stop has begun, and the register of open
// connections that a stop goes through.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kds/serve/http_server.h"
#include "kds/serve/service.h"

namespace kds::serve {

// Shuts down and closes the TCP socket under `stream` (plain or TLS), ignoring errors: the peer may be
// gone already.
template <typename Stream>
void close_socket(Stream& stream) {
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(stream).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// After a stop, a connection that has sent nothing for this long while it still has something to send is
// closed: a client that stopped reading (its window shut, or its TCP buffer full) does not hold the stop
// up for an idle timeout or two.
inline constexpr std::chrono::seconds kStopGrace{5};

// An open connection, whichever protocol it speaks, as a stop sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Closes the connection once the requests under way are answered; does not wait. Thread-safe.
  virtual void close_if_idle() = 0;
};

class ServerState {
 public:
  // `service` must outlive the state.
  ServerState(const Service& served, ServerOptions chosen)
      : service(served), options(chosen), answering(std::max<size_t>(chosen.threads, 1)) {}

  // A connection registers itself once it runs, and is forgotten in its destructor. Thread-safe.
  void track(const std::shared_ptr<Connection>& connection) {
    std::lock_guard lock(mutex_);
    open_.emplace(connection.get(), connection);
  }
  void forget(Connection* connection) {
    std::lock_guard lock(mutex_);
    open_.erase(connection);
  }
  std::vector<std::shared_ptr<Connection>> open_connections() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& [raw, weak] : open_) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
    return open;
  }

  const Service& service;
  const ServerOptions options;
  // Set before the stop goes through open_connections(): a connection tracked later sees it.
  std::atomic<bool> stopping{false};
  // Threads that answer the requests an HTTP/2 connection has several of at once, so that they wait for
  // the disk together (one group commit) rather than one after another on the connection's thread.
  boost::asio::thread_pool answering;

 private:
  std::mutex mutex_;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> open_;
};

}  // namespace kds::serve
