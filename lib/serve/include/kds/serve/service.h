// The Kinesis service behind kds-serve's transports: one HTTP request in, one HTTP response out, with
// the wire rules of ../shared/reference/wire.md (kds-serve(1) states them as kds applies them) — the order
// of checks (§3), the error envelope and statuses (§4) and the presence checks of a signature (§6) —
// and the operations of the API layer (kds/api/operations.h) behind them, in JSON 1.1 or CBOR 1.1 (cbor.h).
//
// Thread-safe: handle() may run on many threads at once; every operation opens what it needs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "kds/api/aws_credentials.h"
#include "kds/api/operations.h"
#include "kds/api/subscription.h"
#include "kds/serve/http_message.h"

namespace kds::serve {

// A request body larger than this is refused with 413 before it is read (wire.md §2): PutRecords takes
// at most 500 records and 10 MiB of data, about 14 MiB as base64 in JSON.
inline constexpr size_t kMaxRequestBytes = 16u << 20;

inline constexpr std::string_view kJsonContentType = "application/x-amz-json-1.1";
inline constexpr std::string_view kCborContentType = "application/x-amz-cbor-1.1";
inline constexpr std::string_view kTargetPrefix = "Kinesis_20131202";

class SignatureVerifier;

// How SubscribeToShard's event streams are timed.
struct SubscriptionTimes {
  int64_t heartbeat_ms = 5000;  // an event at least this often, with records or without
  int64_t lifetime_ms =
      300000;  // Kinesis ends a subscription after 5 minutes (kds-serve --subscription-lifetime)
};

class Service {
 public:
  // `context` and everything it points to must outlive the service. With `credentials`, signatures are
  // verified (kds-serve --credentials): only these keys are accepted, for the region of kds::region();
  // without, only their presence is checked.
  explicit Service(const api::Context& context,
                   const std::optional<std::vector<api::AwsCredentials>>& credentials = std::nullopt,
                   SubscriptionTimes subscription_times = {});
  ~Service();

  HttpResponse handle(const HttpRequest& request) const;

  // Whether `operation` (e.g. "PutRecords") is one this service performs.
  static bool knows_operation(std::string_view operation);

 private:
  HttpResponse answer(const HttpRequest& request) const;
  // SubscribeToShard: an answer whose body is an event stream (subscription_stream.h), or an error.
  HttpResponse subscribe(HttpResponse response, std::string_view content_type, api::Body body) const;

  const api::Context& context_;
  std::unique_ptr<const SignatureVerifier> verifier_;  // null: presence checks only
  const SubscriptionTimes subscription_times_;
  // One subscription per consumer and shard; the registry is thread-safe.
  const std::unique_ptr<api::SubscriptionRegistry> subscriptions_;
};

// The response for a request that could not be read at all (a body past kMaxRequestBytes): status only.
HttpResponse status_only_response(int status);

}  // namespace kds::serve
