// One kds-serve connection as accepted, over plain TCP or TLS: the TLS handshake if any, then the first
// bytes decide the protocol. A connection that starts with the HTTP/2 preface (prior knowledge, or after
// ALPN chose h2) is handed to an Http2Session; any other is served here as HTTP/1.1: a request is read
// whole (up to kMaxRequestBytes, refused with 413 from its Content-Length before the body is read),
// answered by the Service, written, and again while the client keeps the connection alive. Its handlers
// run one at a time on its thread. Used by http_server.cpp only.
#pragma once

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

#include "connection.h"
#include "http2_session.h"

namespace kds::serve {

namespace http1 {

inline constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxReadBuffer = 1 << 20;    // a connection's read buffer while a body arrives
inline constexpr size_t kIdleReadBuffer = 16 << 10;  // and between requests

inline HttpRequest to_request(boost::beast::http::request<boost::beast::http::string_body>&& message) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(
        lower_case(std::string_view(field.name_string().data(), field.name_string().size())),
        std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace http1

template <class Stream>
class Http1Session : public Connection, public std::enable_shared_from_this<Http1Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, boost::beast::tcp_stream>;
  using error_code = boost::beast::error_code;

 public:
  // `state` must outlive the session.
  Http1Session(ServerState& state, Stream stream)
      : state_(state), executor_(stream.get_executor()), stream_(std::move(stream)) {}

  void start() {
    boost::asio::dispatch(executor_, [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->handshake();
      } else {
        self->sniff();
      }
    });
  }

  // Closes the connection if it is waiting for a request; one under way is finished first. (executor_,
  // not stream_'s: stream_ may be on its way to an Http2Session on the connection's thread.)
  // A streamed answer under way is ended (its last chunk sent) and the connection closed after it.
  void close_if_idle() override {
    boost::asio::post(executor_, [self = this->shared_from_this()] {
      if (self->reading_) self->tcp().socket().close();
      if (self->body_) {
        self->body_->cancel();
        self->watch_stop();
      }
    });
  }
  ~Http1Session() override {
    if (body_) body_->cancel();
    state_.forget(this);
  }

 private:
  boost::beast::tcp_stream& tcp() { return boost::beast::get_lowest_layer(stream_); }

  void handshake() {
    tcp().expires_after(state_.options.idle_timeout);
    reading_ = true;
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](error_code error) {
                              self->reading_ = false;
                              if (error) return self->close();  // not TLS, or a certificate refused
                              self->sniff();
                            });
  }

  // Reads until the first bytes tell the protocol: the HTTP/2 preface, or anything else (HTTP/1.1).
  void sniff() {
    if (state_.stopping) return close();
    tcp().expires_after(state_.options.idle_timeout);
    reading_ = true;
    stream_.async_read_some(
        buffer_.prepare(4096), [this, self = this->shared_from_this()](error_code error, size_t count) {
          reading_ = false;
          if (error) return close();
          buffer_.commit(count);
          const std::string_view start(static_cast<const char*>(buffer_.data().data()), buffer_.size());
          const size_t compared = std::min(start.size(), kHttp2Preface.size());
          if (start.substr(0, compared) != kHttp2Preface.substr(0, compared)) return read();
          if (start.size() < kHttp2Preface.size()) return sniff();
          auto http2 = std::make_shared<Http2Session<Stream>>(state_, std::move(stream_));
          state_.track(http2);
          http2->start(start);
        });
  }

  void read() {
    if (state_.stopping) return close();
    parser_.emplace();
    parser_->body_limit(kMaxRequestBytes);
    parser_->header_limit(http1::kMaxHeaderBytes);
    tcp().expires_after(state_.options.idle_timeout);
    reading_ = true;
    boost::beast::http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code error, size_t) { self->on_header(error); });
  }

  // Beast reads at most what the buffer has room for, and the parser empties the buffer into the body as
  // it goes: left at its first size, the buffer would take an 80 KB PutRecords in 512-byte reads, each
  // with its epoll_wait and timer update. So it gets room for the body (up to kMaxReadBuffer) now, and is
  // shrunk again once the answer is written, so an idle connection holds no large buffer.
  void on_header(error_code header_error) {
    if (header_error) return on_read(header_error);
    const uint64_t expected = parser_->content_length().value_or(0);
    if (expected > buffer_.capacity() - buffer_.size()) {
      buffer_.reserve(buffer_.size() +
                      static_cast<size_t>(std::min<uint64_t>(expected, http1::kMaxReadBuffer)));
    }
    boost::beast::http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code error, size_t) { self->on_read(error); });
  }

  void on_read(error_code error) {
    namespace asio = boost::asio;
    reading_ = false;
    if (error == boost::beast::http::error::body_limit)
      return answer(status_only_response(413), false, false);
    if (error == boost::beast::http::error::end_of_stream || error == boost::beast::error::timeout ||
        error == asio::error::operation_aborted || error == asio::error::connection_reset ||
        error == asio::error::bad_descriptor || error == asio::error::eof) {
      return close();
    }
    if (error) return answer(status_only_response(400), false, false);  // not HTTP we can read
    auto message = parser_->release();
    const bool keep_alive = message.keep_alive();
    const bool http10 = message.version() < 11;
    answer(state_.service.handle(http1::to_request(std::move(message))), keep_alive, http10);
  }

  void answer(HttpResponse&& answer, bool keep_alive, bool http10) {
    if (answer.stream) return answer_streamed(std::move(answer), keep_alive, http10);
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(answer.status));
    for (auto& [name, value] : answer.headers)
      response_.set(name, value);
    response_.body() = std::move(answer.body);
    response_.keep_alive(keep_alive && !state_.stopping);
    response_.prepare_payload();
    tcp().expires_after(state_.options.idle_timeout);
    boost::beast::http::async_write(stream_, response_,
                                    [self = this->shared_from_this()](error_code error, size_t) {
                                      if (error || !self->response_.keep_alive()) return self->close();
                                      if (self->buffer_.capacity() > http1::kIdleReadBuffer) {
                                        self->buffer_.shrink_to_fit();
                                      }
                                      self->read();
                                    });
  }

  // An answer whose body is made while it is sent: the header with Transfer-Encoding: chunked, then a
  // chunk per piece the body stream gives (as the client reads: one write at a time), then the last chunk.
  // HTTP/1.0 has no chunks (RFC 9112 §6.1: no Transfer-Encoding to a 1.0 request): the pieces go as they
  // are, and closing the connection ends the body.
  void answer_streamed(HttpResponse&& answer, bool keep_alive, bool http10) {
    namespace http = boost::beast::http;
    stream_header_.emplace();
    stream_header_->version(11);
    stream_header_->result(static_cast<unsigned>(answer.status));
    for (auto& [name, value] : answer.headers)
      stream_header_->set(name, value);
    close_delimited_ = http10;
    stream_header_->chunked(!close_delimited_);
    stream_header_->keep_alive(keep_alive && !close_delimited_ && !state_.stopping);
    serializer_.emplace(*stream_header_);
    body_ = std::move(answer.stream);
    // Between writes the session waits for the body stream with nothing pending on its thread's event loop,
    // which a stop would otherwise let run out of work before the last chunk is sent.
    streaming_work_.emplace(executor_);
    writing_ = true;
    // The body stream holds the session while it lasts (between writes nothing else does); end_streamed()
    // lets go of the stream, and so of the session.
    body_->start([self = this->shared_from_this()] {
      boost::asio::post(self->executor_, [self] { self->send_pieces(); });
    });
    if (state_.stopping) body_->cancel();  // answered after the stop went by: ends at once
    tcp().expires_after(state_.options.idle_timeout);
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](error_code error, size_t) {
                               self->writing_ = false;
                               if (error) return self->end_streamed(false);
                               ++self->writes_done_;
                               self->send_pieces();
                             });
  }

  // Writes what the body stream has made, a chunk of at most kMaxChunk at a time (each write must finish
  // within the idle timeout, so a slow reader is not cut off in the middle of a large one).
  void send_pieces() {
    namespace http = boost::beast::http;
    static constexpr size_t kMaxChunk = 256 << 10;
    if (writing_ || !body_) return;  // called again when the write under way is done
    if (unsent_.empty() && !last_taken_) {
      BodyStream::Piece piece = body_->take();
      unsent_ = std::move(piece.bytes);
      last_taken_ = piece.last;
    }
    if (unsent_.empty() && !last_taken_) return;
    writing_ = true;
    tcp().expires_after(state_.options.idle_timeout);
    if (unsent_.empty() && close_delimited_) {
      writing_ = false;
      return end_streamed(true);  // not kept alive: closing ends the body
    }
    if (unsent_.empty()) {
      return boost::asio::async_write(stream_, http::make_chunk_last(),
                                      [self = this->shared_from_this()](error_code error, size_t) {
                                        self->writing_ = false;
                                        self->end_streamed(!error);
                                      });
    }
    const size_t count = std::min(unsent_.size(), kMaxChunk);
    chunk_.assign(unsent_, 0, count);
    unsent_.erase(0, count);
    auto written = [self = this->shared_from_this()](error_code error, size_t) {
      self->writing_ = false;
      if (error) return self->end_streamed(false);
      ++self->writes_done_;
      self->send_pieces();
    };
    if (close_delimited_) return boost::asio::async_write(stream_, boost::asio::buffer(chunk_), written);
    boost::asio::async_write(stream_, http::make_chunk(boost::asio::buffer(chunk_)), written);
  }

  // The streamed answer is over: all sent (`complete`), or the client gone.
  void end_streamed(bool complete) {
    stop_timer_.cancel();
    body_->cancel();
    body_.reset();
    streaming_work_.reset();
    if (!complete || !stream_header_->keep_alive() || state_.stopping) return close();
    stream_header_.reset();
    serializer_.reset();
    unsent_.clear();
    last_taken_ = false;
    read();
  }

  // Closes the TCP connection (under TLS without a close_notify: the answer said Connection: close, or
  // the client is gone).
  void close() {
    stop_timer_.cancel();
    close_socket(stream_);
  }

  // After a stop, a streamed answer whose end the client does not take within kStopGrace of the last
  // write that went through is cut off (its writes time out only after the idle timeout).
  void watch_stop() {
    stop_timer_.expires_after(kStopGrace);
    stop_timer_.async_wait([weak = this->weak_from_this()](error_code error) {
      auto self = weak.lock();
      if (!self || error || !self->body_) return;
      if (self->writes_done_ == self->writes_seen_) return self->close();
      self->writes_seen_ = self->writes_done_;
      self->watch_stop();
    });
  }

  ServerState& state_;
  const boost::asio::any_io_executor executor_;
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  bool reading_ = false;
  // A streamed answer (answer_streamed) while it is sent.
  std::optional<boost::beast::http::response<boost::beast::http::empty_body>> stream_header_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::empty_body>> serializer_;
  std::shared_ptr<BodyStream> body_;
  std::optional<boost::asio::executor_work_guard<boost::asio::any_io_executor>> streaming_work_;
  std::string unsent_;  // taken from the body stream, not yet written
  std::string chunk_;   // being written
  bool last_taken_ = false;
  bool writing_ = false;
  bool close_delimited_ = false;  // HTTP/1.0: the body is not chunked and ends when the connection closes
  uint64_t writes_done_ = 0;      // of a streamed answer, for watch_stop()
  uint64_t writes_seen_ = 0;
  boost::asio::steady_timer stop_timer_{executor_};
};

}  // namespace kds::serve
