// kds-serve's HTTP transport: listeners on TCP addresses, plain or TLS (ALPN h2 and http/1.1); each
// connection speaks HTTP/1.1 with keep-alive (Boost.Beast) or HTTP/2 (nghttp2), chosen by its first bytes;
// each request is read whole (up to kMaxRequestBytes, else 413) and answered by the Service. Asio runs
// the connections on `threads` threads, each with an event loop of its own and a share of the
// connections, so a request is read, answered and written without passing between threads; a slow
// operation (an fdatasync) holds up only the connections of its thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kds/serve/service.h"
#include "kds/status.h"

namespace kds::serve {

// A --listen address: "HOST:PORT", "[IPV6]:PORT", or ":PORT" for every interface. Port 0 picks a free one.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> parse_listen_address(std::string_view text);

struct ServerOptions {
  size_t threads = 4;
  // A connection with no request under way is closed after this; a request must arrive whole within it.
  std::chrono::milliseconds idle_timeout{60000};
};

class HttpServer {
 public:
  // `service` must outlive the server.
  HttpServer(const Service& service, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves TLS on every listener from now on, with the PEM certificate chain and private key in these
  // files (read now). Call before listen().
  Status use_tls(const std::string& certificate_file, const std::string& key_file);

  // Starts listening on `address`; returns the URL it serves, with the port actually bound
  // ("http://127.0.0.1:4567", or https://).
  Result<std::string> listen(const ListenAddress& address);

  // Serves until SIGINT or SIGTERM (or stop()): then stops accepting, closes idle connections, finishes
  // the requests under way and returns.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kds::serve
