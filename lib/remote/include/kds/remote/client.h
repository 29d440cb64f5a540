// A Kinesis client: one JSON 1.1 request at a time to a Target, signed with SigV4, over libcurl (HTTP/1.1
// keep-alive, HTTP/2 by ALPN on https, TLS verified). Answers are JSON; an error answer (wire.md §4) or a
// failed transfer becomes an Error whose Errc and name are the ones a local tool would print.
//
// Not thread-safe: one client per thread.
#pragma once

#include <nlohmann/json.hpp>

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

  const Target& target() const;

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  Result<nlohmann::ordered_json> attempt(std::string_view operation, const std::string& body);
  std::unique_ptr<State> state_;
};

}  // namespace kds::remote
