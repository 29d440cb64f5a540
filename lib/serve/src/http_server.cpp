// kds-serve's HTTP transport (http_server.h).
#include "kds/serve/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "http2_connection.h"

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
  // What a stop needs of an open connection, whichever protocol it speaks.
  class Connection {
   public:
    virtual ~Connection() = default;
    // Closes the connection once the requests under way are answered; does not wait.
    virtual void close_if_idle() = 0;
  };
  class Session;
  class Http2Session;

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
  void track(const std::shared_ptr<Connection>& connection);
  void forget(Connection* connection);

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
  std::unordered_map<Connection*, std::weak_ptr<Connection>> sessions;
};

// One HTTP/1.1 connection: reads a request, has the service answer it, writes the answer, and again
// while the client keeps the connection alive. Its handlers run one at a time on its thread. A
// connection that starts with the HTTP/2 preface is handed to an Http2Session.
class HttpServer::Impl::Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket)
      : server_(server), executor_(socket.get_executor()), stream_(std::move(socket)) {}
  ~Session() override { server_.forget(this); }

  void start() {
    asio::dispatch(executor_, [self = shared_from_this()] { self->sniff(); });
  }

  // Closes the connection if it is waiting for a request; one under way is finished first. (executor_,
  // not stream_'s: stream_ may be on its way to an Http2Session on the connection's thread.)
  void close_if_idle() override {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->reading_) self->stream_.socket().close();
    });
  }

 private:
  // Reads until the first bytes tell the protocol: the HTTP/2 preface, or anything else (HTTP/1.1).
  void sniff();

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
  const asio::any_io_executor executor_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool reading_ = false;
};

// One HTTP/2 connection (http2_connection.h): reads frames as they come and writes what the codec has
// to send, both at once, so a client's WINDOW_UPDATE is read while a large answer is being written.
// Requests are answered on the connection's thread in the order they complete.
class HttpServer::Impl::Http2Session : public Connection, public std::enable_shared_from_this<Http2Session> {
 public:
  Http2Session(Impl& server, beast::tcp_stream stream)
      : server_(server), stream_(std::move(stream)), http2_(server.service) {}
  ~Http2Session() override { server_.forget(this); }

  // Takes the bytes read so far, the preface among them. Runs on the connection's thread, after the
  // session is tracked: a stop begun before that is seen here.
  void start(std::string_view first_bytes) {
    if (server_.stopping) http2_.shut_down();
    received(first_bytes);
  }

  // Sends a GOAWAY: the requests begun are answered, then the connection closes.
  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      self->http2_.shut_down();
      self->flush();
    });
  }

 private:
  void read() {
    stream_.expires_after(server_.options.idle_timeout);
    stream_.async_read_some(asio::buffer(input_),
                            [self = shared_from_this()](beast::error_code error, size_t count) {
                              if (error) return self->close();
                              self->received({self->input_.data(), count});
                            });
  }

  void received(std::string_view bytes) {
    if (http2_.receive(bytes)) {
      http2_.answer();
    } else {
      failed_ = true;  // the connection is unusable: send what is queued (a GOAWAY), then close
    }
    flush();
    if (!failed_ && http2_.alive()) read();
  }

  void flush() {
    if (writing_) return;
    output_.clear();
    http2_.take_output(output_);
    if (output_.empty()) {
      if (failed_ || !http2_.alive()) close();
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(output_),
                      [self = shared_from_this()](beast::error_code error, size_t) {
                        self->writing_ = false;
                        if (error) return self->close();
                        self->flush();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  Http2Connection http2_;
  // 32 KiB: two frames of the default size per read, while 1,000 idle connections hold 32 MiB.
  std::array<char, 32 << 10> input_;
  std::string output_;
  bool writing_ = false;
  bool failed_ = false;
};

void HttpServer::Impl::Session::sniff() {
  if (server_.stopping) return close();
  stream_.expires_after(server_.options.idle_timeout);
  reading_ = true;
  stream_.async_read_some(
      buffer_.prepare(4096), [this, self = shared_from_this()](beast::error_code error, size_t count) {
        reading_ = false;
        if (error) return close();
        buffer_.commit(count);
        const std::string_view start(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        const size_t compared = std::min(start.size(), kHttp2Preface.size());
        if (start.substr(0, compared) != kHttp2Preface.substr(0, compared)) return read();
        if (start.size() < kHttp2Preface.size()) return sniff();
        auto http2 = std::make_shared<Http2Session>(server_, std::move(stream_));
        server_.track(http2);
        http2->start(start);
      });
}

void HttpServer::Impl::track(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(sessions_mutex);
  sessions.emplace(connection.get(), connection);
}

void HttpServer::Impl::forget(Connection* connection) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(connection);
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
    std::vector<std::shared_ptr<Connection>> open;
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
