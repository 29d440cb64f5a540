// One HTTP/2 connection of kds-serve: the codec (http2_connection.h) over an Asio stream, plain TCP or
// TLS. It reads frames as they come and writes what the codec has to send, both at once, so a client's
// WINDOW_UPDATE is read while a large answer is being written. A request that arrives alone is answered on
// the connection's thread; several at once are answered on the server's answering threads in parallel
// (so PutRecords on one connection share their fdatasync), their answers sent as they come back. Used by
// http_server.cpp only.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "connection.h"
#include "http2_connection.h"

namespace kds::serve {

template <class Stream>
class Http2Session : public Connection, public std::enable_shared_from_this<Http2Session<Stream>> {
 public:
  // `state` must outlive the session.
  Http2Session(ServerState& state, Stream stream)
      : state_(state),
        stream_(std::move(stream)),
        http2_(state.service),
        idle_timer_(stream_.get_executor()) {}
  ~Http2Session() override { state_.forget(this); }

  // Takes the bytes read so far, the preface among them. Runs on the connection's thread, after the
  // session is tracked: a stop begun before that is seen here.
  void start(std::string_view first_bytes) {
    if (state_.stopping) http2_.shut_down();
    // The connection is timed by watch_idle(), not by the stream's per-operation deadlines: a read stays
    // pending for the connection's whole life, and a SubscribeToShard answer keeps it busy for minutes
    // while the client sends nothing.
    boost::beast::get_lowest_layer(stream_).expires_never();
    watch_idle();
    received(first_bytes);
  }

  // Sends a GOAWAY: the requests begun are answered, then the connection closes.
  void close_if_idle() override {
    boost::asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->http2_.shut_down();
      self->flush();
      // From now on idleness is judged over kStopGrace (watch_idle): the old wait is cancelled.
      self->activity_seen_ = self->activity_;
      self->idle_timer_.cancel();
      self->watch_idle();
    });
  }

 private:
  void read() {
    stream_.async_read_some(boost::asio::buffer(input_),
                            [self = this->shared_from_this()](boost::beast::error_code error, size_t count) {
                              if (error) return self->close();
                              ++self->activity_;
                              self->received({self->input_.data(), count});
                            });
  }

  // Closes the connection after an idle_timeout in which nothing was read or written, unless it was only
  // waiting: for an answer being made on another thread, or for an event stream's next event. A client
  // that stops reading (its flow-control window stays shut, or a write stalls) is closed. After a stop,
  // the time is kStopGrace (the event streams are ended by then).
  void watch_idle() {
    idle_timer_.expires_after(state_.stopping ? std::min<std::chrono::steady_clock::duration>(
                                                    state_.options.idle_timeout, kStopGrace)
                                              : state_.options.idle_timeout);
    idle_timer_.async_wait([weak = this->weak_from_this()](boost::beast::error_code error) {
      auto self = weak.lock();
      if (!self || error) return;
      const bool waiting = !self->writing_ && (self->answering_ > 0 || self->http2_.waiting_for_body());
      if (self->activity_ == self->activity_seen_ && !waiting) return self->close();
      self->activity_seen_ = self->activity_;
      self->watch_idle();
    });
  }

  void received(std::string_view bytes) {
    if (http2_.receive(bytes)) {
      auto requests = http2_.take_requests();
      if (requests.size() == 1 && answering_ == 0) {
        // The common case, one request at a time: answered here, with no hand-off between threads.
        respond(requests[0].first, state_.service.handle(requests[0].second));
      } else {
        for (auto& [id, request] : requests)
          answer_elsewhere(id, std::move(request));
      }
    } else {
      failed_ = true;  // the connection is unusable: send what is queued (a GOAWAY), then close
    }
    flush();
    if (!failed_ && http2_.alive()) read();
  }

  // Has a thread of state_.answering answer the request, and the answer sent from this connection's
  // thread. The work guard keeps this thread's event loop running until the answer is back.
  void answer_elsewhere(int32_t id, HttpRequest request) {
    ++answering_;
    boost::asio::post(state_.answering, [self = this->shared_from_this(), id, request = std::move(request),
                                         work = boost::asio::make_work_guard(stream_.get_executor())]() {
      HttpResponse response = self->state_.service.handle(request);
      boost::asio::post(work.get_executor(), [self, id, response = std::move(response)]() mutable {
        --self->answering_;
        self->respond(id, std::move(response));
        self->flush();
      });
    });
  }

  // Queues an answer; a streamed one's body stream is started, and each piece it makes resumes the
  // stream on this connection's thread.
  void respond(int32_t id, HttpResponse response) {
    if (response.stream) {
      response.stream->start([weak = this->weak_from_this(), executor = stream_.get_executor(), id] {
        boost::asio::post(executor, [weak, id] {
          if (auto self = weak.lock()) {
            self->http2_.resume(id);
            self->flush();
          }
        });
      });
      if (state_.stopping) response.stream->cancel();  // answered after the stop's shut_down(): ends at once
    }
    http2_.respond(id, std::move(response));
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
    boost::asio::async_write(stream_, boost::asio::buffer(output_),
                             [self = this->shared_from_this()](boost::beast::error_code error, size_t) {
                               self->writing_ = false;
                               if (error) return self->close();
                               ++self->activity_;
                               self->flush();
                             });
  }

  // Closes the TCP connection (under TLS without a close_notify: HTTP/2 has said goodbye with GOAWAY).
  void close() {
    idle_timer_.cancel();
    close_socket(stream_);
  }

  ServerState& state_;
  Stream stream_;
  Http2Connection http2_;
  boost::asio::steady_timer idle_timer_;
  uint64_t activity_ = 0;       // reads and writes completed
  uint64_t activity_seen_ = 0;  // activity_ at the last look of watch_idle()
  // 32 KiB: two frames of the default size per read, while 1,000 idle connections hold 32 MiB.
  std::array<char, 32 << 10> input_;
  std::string output_;
  bool writing_ = false;
  bool failed_ = false;
  size_t answering_ = 0;  // requests being answered on other threads
};

}  // namespace kds::serve
