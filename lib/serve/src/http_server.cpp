// kds-serve's HTTP/1.1 transport (http_server.h).
#include "kds/serve/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace kds::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxReadBuffer = 1 << 20;    // a connection's read buffer while a body arrives
constexpr size_t kIdleReadBuffer = 16 << 10;  // and between requests

HttpRequest to_request(http::request<http::string_body>&& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace

struct HttpServer::Impl {
  class Session;

  Impl(const Service& served, ServerOptions chosen)
      : service(served), options(chosen), signals(context, SIGINT, SIGTERM) {
    for (size_t i = 1; i < std::max<size_t>(options.threads, 1); ++i) {
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
  void track(const std::shared_ptr<Session>& session);
  void forget(Session* session);

  const Service& service;
  ServerOptions options;
  asio::io_context context{1};  // the listeners, signals and stop, and a share of the connections
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;  // until stop
  size_t next_turn = 0;  // used on the listeners' strands only
  asio::signal_set signals;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::atomic<bool> stopping{false};
  std::mutex sessions_mutex;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
};

// One connection: reads a request, has the service answer it, writes the answer, and again while the
// client keeps the connection alive. Its handlers run one at a time on its strand.
class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}
  ~Session() { server_.forget(this); }

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // Closes the connection if it is waiting for a request; one under way is finished first.
  void close_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->stream_.socket().close();
    });
  }

 private:
  void read() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(kMaxRequestBytes);
    parser_->header_limit(kMaxHeaderBytes);
    stream_.expires_after(server_.options.idle_timeout);
    reading_ = true;
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->on_header(error); });
  }

  // Beast reads at most what the buffer has room for, and the parser empties the buffer into the body as
  // it goes: left at its first size, the buffer would take an 80 KB PutRecords in 512-byte reads, each
  // with its epoll_wait and timer update. So it gets room for the body (up to kMaxReadBuffer) now, and is
  // shrunk again once the answer is written, so an idle connection holds no large buffer.
  void on_header(beast::error_code header_error) {
    if (header_error) return on_read(header_error);
    const uint64_t expected = parser_->content_length().value_or(0);
    if (expected > buffer_.capacity() - buffer_.size()) {
      buffer_.reserve(buffer_.size() + static_cast<size_t>(std::min<uint64_t>(expected, kMaxReadBuffer)));
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) { self->on_read(error); });
  }

  void on_read(beast::error_code error) {
    reading_ = false;
    if (error == http::error::body_limit) return answer(status_only_response(413), false);
    if (error == http::error::end_of_stream || error == beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::connection_reset ||
        error == asio::error::bad_descriptor) {
      return close();
    }
    if (error) return answer(status_only_response(400), false);  // not HTTP we can read
    auto message = parser_->release();
    const bool keep_alive = message.keep_alive();
    answer(server_.service.handle(to_request(std::move(message))), keep_alive);
  }

  void answer(HttpResponse&& answer, bool keep_alive) {
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(answer.status));
    for (auto& [name, value] : answer.headers)
      response_.set(name, value);
    response_.body() = std::move(answer.body);
    response_.keep_alive(keep_alive && !server_.stopping);
    response_.prepare_payload();
    stream_.expires_after(server_.options.idle_timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code error, size_t) {
      if (error || !self->response_.keep_alive()) return self->close();
      if (self->buffer_.capacity() > kIdleReadBuffer) self->buffer_.shrink_to_fit();
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool reading_ = false;
};

void HttpServer::Impl::track(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(session.get(), session);
}

void HttpServer::Impl::forget(Session* session) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(session);
}

void HttpServer::Impl::accept(tcp::acceptor& acceptor) {
  acceptor.async_accept(next_context(), [this, &acceptor](beast::error_code error, tcp::socket socket) {
    if (stopping) return;
    if (!error) {
      auto session = std::make_shared<Session>(*this, std::move(socket));
      track(session);
      session->start();
    }
    accept(acceptor);
  });
}

void HttpServer::Impl::stop() {
  if (stopping.exchange(true)) return;
  asio::post(context, [this] {
    // Each acceptor is closed on its own strand, where its accepts run.
    for (auto& acceptor : acceptors) {
      asio::post(acceptor->get_executor(), [&acceptor = *acceptor] {
        beast::error_code ignored;
        acceptor.close(ignored);
      });
    }
    signals.cancel();
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard lock(sessions_mutex);
      for (auto& [raw, weak] : sessions) {
        if (auto session = weak.lock()) open.push_back(std::move(session));
      }
    }
    for (auto& session : open)
      session->close_if_idle();
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
  return fmt::format("http://{}:{}", host, bound.port());
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
}

void HttpServer::stop() {
  impl_->stop();
}

}  // namespace kds::serve
