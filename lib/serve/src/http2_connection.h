// The HTTP/2 side of one kds-serve connection (RFC 9113), apart from its socket: nghttp2 reads the
// frames, each request stream is gathered into an HttpRequest (":method", ":path", ":authority" kept as a
// header and also as "host" when the request has none, the body up to kMaxRequestBytes), the Service
// answers it, and nghttp2 writes the answer. The transport moves bytes: receive() what was read, answer()
// the streams that are complete (or take_requests() them and respond() later, from wherever they were
// answered), and send take_output(), asking again after each write, each read and each respond() (flow
// control holds part of a large answer back until the client's WINDOW_UPDATE is read).
//
// nghttp2 by hand rather than through a framework: Debian 12 has no libnghttp2_asio, and the codec alone
// fits the thread-per-connection design of http_server.h.
//
// Not thread-safe: one connection is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kds/serve/service.h"

namespace kds::serve {

// The 24 bytes an HTTP/2 client sends first (RFC 9113 §3.4): a plain connection that starts with them
// speaks HTTP/2 "with prior knowledge".
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class Http2Connection {
 public:
  // Queues the server's SETTINGS. `service` must outlive the connection.
  explicit Http2Connection(const Service& service);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Takes bytes read from the client, the preface included. False on a connection error (the GOAWAY
  // that says so is queued: send it, then close).
  bool receive(std::string_view bytes);

  // The requests received whole since the last call, in the order they were completed, each with its
  // stream id (one past kMaxRequestBytes is answered 413 here instead).
  std::vector<std::pair<int32_t, HttpRequest>> take_requests();

  // Queues the answer to the request of `stream_id`; nothing when the stream is gone (reset by the client).
  // A streamed answer's body (HttpResponse::stream, started by the caller) is taken as flow control allows;
  // resume() the stream when its body stream says it has more. A stream's end or reset cancels it.
  void respond(int32_t stream_id, HttpResponse response);
  void resume(int32_t stream_id);
  // Whether a streamed answer is waiting for its body stream to make more (as opposed to waiting for the
  // client to take what was made: flow control).
  bool waiting_for_body() const;

  // take_requests(), each answered by the service here and now.
  void answer();

  // Appends to `out` what may be sent now.
  void take_output(std::string& out);

  // False once both sides are done: the connection can be closed.
  bool alive() const;

  // Queues a GOAWAY: the requests begun are still read and answered, later ones refused (the client
  // may retry them), streamed answers are ended; alive() turns false once the last is answered.
  void shut_down();

  struct Impl;  // public only for nghttp2's callbacks in the .cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kds::serve
