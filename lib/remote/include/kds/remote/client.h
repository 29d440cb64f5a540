// A Kinesis client: one JSON 1.1 request at a time to a Target, signed with SigV4, over libcurl (HTTP/1.1
// keep-alive, HTTP/2 by ALPN on https, TLS verified). Answers are JSON; an error answer (wire.md §4) or a
// failed transfer becomes an Error whose Errc and name are the ones a local tool would print.
//
// Not thread-safe: one client per thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kds/remote/target.h"
#include "kds/status.h"

namespace kds::remote {

// The Errc of an error a Kinesis endpoint answered with its `__type` (wire.md §4) and HTTP status: the
// names of Errc and the authentication failures by name, otherwise by status (429: throttling; 5xx:
// kUnavailable).
Errc errc_from_wire_type(std::string_view type, int http_status);

// The Host header (and the signed host) for an endpoint URL, as botocore and libcurl write it: the host in
// lower case, with the port unless it is the scheme's default (443 for https, 80 for http).
std::string host_header(std::string_view url);

// Sleeps for `pause`, or until `target.stop_requested` says stop (asked every 50 ms). Returns whether it
// slept the whole time.
bool pause_unless_stopped(const Target& target, std::chrono::milliseconds pause);

// The error of a request or wait that `Target::stop_requested` ended (kUnavailable).
Error stopped_error(const Target& target);

class Client {
 public:
  // Loads libcurl (kUnavailable when it cannot be loaded) and keeps `target`.
  static Result<Client> open(Target target);
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  // Sends `request` (the body of `operation`, e.g. "ListStreams") and returns the answer's JSON, in the
  // endpoint's member order ({} for an empty body). Throttling, 5xx answers and network errors are retried up
  // to three attempts in all, with jittered exponential backoff, as the AWS SDKs' standard mode does; other
  // errors return at once.
  Result<nlohmann::ordered_json> call(std::string_view operation, const nlohmann::ordered_json& request);
  // As call(), with the body already written as JSON (large requests: PutRecords).
  Result<nlohmann::ordered_json> call_with_body(std::string_view operation, const std::string& body);
  // As call_with_body(), returning the answer's text unparsed, for callers that parse large answers
  // (GetRecords, PutRecords) faster themselves (answer.h). Error answers are parsed here as by call().
  Result<std::string> call_text(std::string_view operation, const std::string& body);

  // Sends `request` to an operation that answers with a stream (SubscribeToShard: an event stream) and
  // passes the answer's body to `on_bytes` piece by piece as it arrives, until the endpoint ends it,
  // `on_bytes` returns false, or `keep_going` (asked about once a second and whenever bytes arrive) does;
  // those two end it without an error. An error answer becomes an Error as with call(); nothing is retried.
  using BytesFunction = std::function<bool(std::string_view)>;
  Status stream(std::string_view operation, const nlohmann::ordered_json& request,
                const BytesFunction& on_bytes, const std::function<bool()>& keep_going);

  const Target& target() const;
  // Sets target().stop_requested; clients opened later with target() share it.
  void stop_when(std::function<bool()> stop_requested);
  // The error of an answer to `operation` that is not JSON.
  Error not_json(std::string_view operation) const;

 private:
  struct State;
  // libcurl's callbacks for one transfer: a write function, a progress function (null: not a stream) and
  // the pointer both are given.
  struct Transfer {
    size_t (*write)(char*, size_t, size_t, void*);
    int (*progress)(void*, int64_t, int64_t, int64_t, int64_t);
    void* data;
  };
  explicit Client(std::unique_ptr<State> state);
  Result<std::string> attempt(std::string_view operation, const std::string& body);
  // Sends `body` to `operation` and returns the HTTP status; the answer goes to `transfer`.
  Result<long> perform(std::string_view operation, const std::string& body, const Transfer& transfer);
  Error error_answer(std::string_view operation, long status, const std::string& answer) const;
  std::unique_ptr<State> state_;
};

}  // namespace kds::remote
