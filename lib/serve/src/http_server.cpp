// kds-serve's listeners and threads (http_server.h); the connections are in http1_session.h and
// http2_session.h.
#include "kds/serve/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "http1_session.h"

namespace kds::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// ALPN (RFC 7301): h2 if the client offers it, else http/1.1; a client that offers neither is refused.
int select_protocol(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                    unsigned offered_length, void*) {
  static constexpr unsigned char kServed[] = "\x02h2\x08http/1.1";
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, out_length, kServed, sizeof kServed - 1, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

struct HttpServer::Impl {
  using PlainSession = Http1Session<beast::tcp_stream>;
  using TlsSession = Http1Session<beast::ssl_stream<beast::tcp_stream>>;

  Impl(const Service& served, ServerOptions chosen)
      : state(served, chosen), signals(context, SIGINT, SIGTERM) {
    for (size_t i = 1; i < std::max<size_t>(chosen.threads, 1); ++i) {
      workers.push_back(std::make_unique<asio::io_context>(1));
      work.push_back(asio::make_work_guard(*workers.back()));
    }
  }

  // Where the next connection runs: each thread has an io_context of its own, so a request is read,
  // answered and written on one thread, with no hand-off between threads (each costs tens of
  // microseconds on a small machine); connections are dealt out in turn.
  asio::io_context& next_context() {
    const size_t turn = next_turn++ % (workers.size() + 1);
    return turn == 0 ? context : *workers[turn - 1];
  }

  void stop();
  void accept(tcp::acceptor& acceptor);

  ServerState state;
  std::optional<asio::ssl::context> tls;  // set by use_tls: every listener serves TLS
  asio::io_context context{1};            // the listeners, signals and stop, and a share of the connections
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;  // until stop
  size_t next_turn = 0;  // used on the listeners' strands only
  asio::signal_set signals;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
};

void HttpServer::Impl::accept(tcp::acceptor& acceptor) {
  acceptor.async_accept(next_context(), [this, &acceptor](beast::error_code error, tcp::socket socket) {
    if (state.stopping) return;
    if (!error) {
      // Tracked before it starts, so that a stop from now on reaches it.
      auto start = [this](auto session) {
        state.track(session);
        session->start();
      };
      if (tls) {
        start(std::make_shared<TlsSession>(state,
                                           beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls)));
      } else {
        start(std::make_shared<PlainSession>(state, beast::tcp_stream(std::move(socket))));
      }
    }
    accept(acceptor);
  });
}

void HttpServer::Impl::stop() {
  if (state.stopping.exchange(true)) return;
  asio::post(context, [this] {
    // Each acceptor is closed on its own strand, where its accepts run.
    for (auto& acceptor : acceptors) {
      asio::post(acceptor->get_executor(), [&acceptor = *acceptor] {
        beast::error_code ignored;
        acceptor.close(ignored);
      });
    }
    signals.cancel();
    for (auto& connection : state.open_connections())
      connection->close_if_idle();
    for (auto& guard : work)
      guard.reset();  // each thread returns once its connections are done
  });
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  const size_t colon = text.rfind(':');
  auto invalid = [&] {
    return Error(Errc::kInvalidArgument, fmt::format("'{}' is not HOST:PORT (a port from 0 to 65535)", text));
  };
  if (colon == std::string_view::npos) return invalid();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return invalid();
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

HttpServer::HttpServer(const Service& service, ServerOptions options)
    : impl_(std::make_unique<Impl>(service, options)) {}

HttpServer::~HttpServer() = default;

Result<std::string> HttpServer::listen(const ListenAddress& address) {
  beast::error_code error;
  tcp::resolver resolver(impl_->context);
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error || endpoints.empty()) {
    return Error(Errc::kInvalidArgument, fmt::format("cannot resolve listen address {}: {}", address.host,
                                                     error ? error.message() : "no address"));
  }
  const tcp::endpoint endpoint = *endpoints.begin();
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(impl_->context));
  auto failed = [&](std::string_view step) {
    return Error(
        Errc::kIo,
        fmt::format("cannot listen on {}:{}: {}: {}", address.host, address.port, step, error.message()),
        error.value());
  };
  if (acceptor->open(endpoint.protocol(), error)) return failed("socket");
  if (acceptor->set_option(asio::socket_base::reuse_address(true), error)) return failed("SO_REUSEADDR");
  if (acceptor->bind(endpoint, error)) return failed("bind");
  if (acceptor->listen(asio::socket_base::max_listen_connections, error)) return failed("listen");
  const tcp::endpoint bound = acceptor->local_endpoint(error);
  if (error) return failed("getsockname");
  impl_->acceptors.push_back(std::move(acceptor));
  impl_->accept(*impl_->acceptors.back());
  const std::string host =
      bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string();
  return fmt::format("{}://{}:{}", impl_->tls ? "https" : "http", host, bound.port());
}

Status HttpServer::use_tls(const std::string& certificate_file, const std::string& key_file) {
  for (const std::string* file : {&certificate_file, &key_file}) {
    if (::access(file->c_str(), R_OK) != 0) {
      return Error(Errc::kInvalidArgument, fmt::format("cannot read {}: {}", *file, std::strerror(errno)));
    }
  }
  asio::ssl::context tls(asio::ssl::context::tls_server);
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  beast::error_code error;
  // OpenSSL's reason is short ("no start line", "key values mismatch"): the file and the role say the rest.
  auto unusable = [&](std::string_view file, std::string_view role) {
    return Error(Errc::kInvalidArgument, fmt::format("cannot use {} as {}: {}", file, role, error.message()));
  };
  if (tls.use_certificate_chain_file(certificate_file, error)) {
    return unusable(certificate_file, "a PEM certificate chain");
  }
  if (tls.use_private_key_file(key_file, asio::ssl::context::pem, error)) {
    return unusable(key_file, "the PEM private key of " + certificate_file);
  }
  SSL_CTX_set_alpn_select_cb(tls.native_handle(), select_protocol, nullptr);
  impl_->tls.emplace(std::move(tls));
  return {};
}

void HttpServer::run() {
  impl_->signals.async_wait([this](beast::error_code error, int) {
    if (!error) impl_->stop();
  });
  std::vector<std::thread> threads;
  for (auto& worker : impl_->workers)
    threads.emplace_back([&worker] { worker->run(); });
  impl_->context.run();
  for (auto& thread : threads)
    thread.join();
  impl_->state.answering.join();  // idle by now: each of its tasks held an event loop open until done
}

void HttpServer::stop() {
  impl_->stop();
}

}  // namespace kds::serve
