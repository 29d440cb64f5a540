// An HTTP exchange as kds-serve's transports hand it to the service and take its answer back: the same
// plain types for HTTP/1.1 and, later, HTTP/2, so the wire rules (service.h) are written once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kds::serve {

// `name` in ASCII lower case: header names compare without case (RFC 9110 §5.1), and HTTP/2 sends them
// in lower case (RFC 9113 §8.2.1).
inline std::string lower_case(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

struct HttpRequest {
  std::string method;                                        // "POST"
  std::string target;                                        // the request target: path and query
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;

  // The first header named `name` (lower case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

// The body of an answer that is made while it is sent (SubscribeToShard's event stream): the transport
// sends the status and headers, then each piece as it is made (HTTP/1.1 chunks, HTTP/2 DATA frames) until
// the last. Pieces are taken only as fast as the client reads them, which holds the maker back.
class BodyStream {
 public:
  virtual ~BodyStream() = default;

  // Starts making the body. `ready` is called, from any thread, whenever take() has something new; it
  // must not block, nor call take() itself. Called once, before any take().
  virtual void start(std::function<void()> ready) = 0;

  struct Piece {
    std::string bytes;
    bool last = false;  // the body is complete after these bytes
  };
  // What has been made since the last take (perhaps nothing). Thread-safe.
  virtual Piece take() = 0;

  // The client has gone, or the server stops: end the body soon (a later take() says last). Thread-safe.
  virtual void cancel() = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length
  std::string body;
  std::shared_ptr<BodyStream> stream;  // when set, the body instead of `body`, sent without a length

  void set_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

}  // namespace kds::serve
