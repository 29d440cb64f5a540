// The wire rules of kds-serve (service.h), in the order wire.md §3 gives them.
#include "kds/serve/service.h"

#include <openssl/rand.h>

#include <array>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "cbor.h"
#include "kds/base64.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "operation_table.h"
#include "signature_presence.h"
#include "signature_verifier.h"
#include "subscription_stream.h"

namespace kds::serve {

namespace {

// Answered with an event stream, so not in the operation table (which answers in one body).
constexpr std::string_view kSubscribeToShard = "SubscribeToShard";

// Fills `bytes` with random bytes for request ids, which must be unique, not secret: a generator per
// thread, seeded once from OpenSSL, spares each request the getpid() calls RAND_bytes makes to notice a fork
// (kds-serve does not fork).
template <size_t N>
void fill_random(std::array<unsigned char, N>* bytes) {
  thread_local std::mt19937_64 generator = [] {
    std::array<unsigned, 8> seed{};
    if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()), sizeof seed) != 1) {
      std::random_device device;
      for (unsigned& word : seed)
        word = device();
    }
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  for (size_t i = 0; i < N; i += 8) {
    const uint64_t word = generator();
    for (size_t j = 0; j < 8 && i + j < N; ++j)
      (*bytes)[i + j] = static_cast<unsigned char>(word >> (8 * j));
  }
}

// A random (version 4) UUID, as AWS's x-amzn-RequestId.
std::string request_id() {
  std::array<unsigned char, 16> bytes{};
  fill_random(&bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[bytes[i] >> 4];
    text += kHex[bytes[i] & 0x0f];
  }
  return text;
}

std::string extended_request_id() {
  std::array<unsigned char, 72> bytes{};
  fill_random(&bytes);
  std::string text;
  base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), &text);
  return text;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// An answer in the request's format: `json_text` as it is, or in CBOR.
HttpResponse answer_response(HttpResponse response, int status, std::string_view content_type,
                             std::string json_text) {
  response.status = status;
  response.set_header("Content-Type", std::string(content_type));
  response.body = content_type == kCborContentType ? json_answer_to_cbor(json_text) : std::move(json_text);
  return response;
}

HttpResponse json_response(HttpResponse response, int status, std::string_view content_type,
                           const api::ordered_json& body) {
  // Messages may quote what the client sent (an Authorization header), which need not be UTF-8: such
  // bytes become U+FFFD rather than an exception.
  return answer_response(std::move(response), status, content_type,
                         body.dump(-1, ' ', false, api::ordered_json::error_handler_t::replace));
}

// An error the way AWS sends one in JSON: `__type`, the message (capital `Message` for
// SerializationException, as AWS), and the type again in X-Amzn-ErrorType for smithy clients.
HttpResponse error_response(HttpResponse response, std::string_view content_type, std::string_view type,
                            int status, std::optional<std::string_view> message) {
  api::ordered_json body;
  body["__type"] = type;
  if (message) body[type == "SerializationException" ? "Message" : "message"] = *message;
  response.set_header("X-Amzn-ErrorType", std::string(type));
  return json_response(std::move(response), status, content_type, body);
}

// An error before the request is known to be a Kinesis call: XML, as AWS's front door sends it.
HttpResponse xml_error_response(HttpResponse response, std::string_view type, int status,
                                std::optional<std::string_view> message) {
  response.status = status;
  response.body = message ? fmt::format("<{0}>\n  <Message>{1}</Message>\n</{0}>\n", type, *message)
                          : fmt::format("<{}/>\n", type);
  return response;
}

HttpResponse error_response(HttpResponse response, std::string_view content_type, const Error& error) {
  // An error named for the wire (Error::named, e.g. KMSNotFoundException) keeps its name.
  const std::string_view type =
      error.name() != errc_name(error.code()) ? error.name() : errc_wire_type(error.code());
  return error_response(std::move(response), content_type, type, errc_http_status(error.code()),
                        error.message());
}

// Headers every answer carries (wire.md §3.2), and CORS for browsers.
HttpResponse start_response(const HttpRequest& request) {
  HttpResponse response;
  response.set_header("x-amzn-RequestId", request_id());
  const auto origin = request.header("origin");
  if (request.method != "OPTIONS" || !origin) response.set_header("x-amz-id-2", extended_request_id());
  if (origin) {
    response.set_header("Access-Control-Allow-Origin", "*");
    if (request.method != "OPTIONS") {
      response.set_header(
          "Access-Control-Expose-Headers",
          "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date");
    }
  }
  return response;
}

HttpResponse preflight_response(const HttpRequest& request, HttpResponse response) {
  if (auto headers = request.header("access-control-request-headers")) {
    response.set_header("Access-Control-Allow-Headers", std::string(*headers));
  }
  if (auto method = request.header("access-control-request-method")) {
    response.set_header("Access-Control-Allow-Methods", std::string(*method));
  }
  response.set_header("Access-Control-Max-Age", "172800");
  return response;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

HttpResponse status_only_response(int status) {
  HttpResponse response;
  response.status = status;
  return response;
}

bool Service::knows_operation(std::string_view operation) {
  return operation == kSubscribeToShard || find_operation(operation) != nullptr;
}

Service::Service(const api::Context& context,
                 const std::optional<std::vector<api::AwsCredentials>>& credentials,
                 SubscriptionTimes subscription_times)
    : context_(context),
      subscription_times_(subscription_times),
      subscriptions_(std::make_unique<api::SubscriptionRegistry>()) {
  if (credentials) verifier_ = std::make_unique<const SignatureVerifier>(*credentials, std::string(region()));
}

Service::~Service() = default;

HttpResponse Service::handle(const HttpRequest& request) const {
  // An exception here is a bug (the fuzz targets look for them); it costs the one request a 500 rather
  // than ending the server and every other client's requests with it.
  try {
    return answer(request);
  } catch (const std::exception& error) {
    return error_response(start_response(request), kJsonContentType, "InternalFailure", 500,
                          std::string("internal error: ") + error.what());
  }
}

HttpResponse Service::answer(const HttpRequest& request) const {
  HttpResponse response = start_response(request);
  if (request.method == "OPTIONS" && request.header("origin"))
    return preflight_response(request, std::move(response));
  constexpr std::string_view kNoOperation = "Unable to determine service/operation name to be authorized";
  if (request.method != "POST")
    return xml_error_response(std::move(response), "AccessDeniedException", 403, kNoOperation);

  const std::string_view content_type_header = request.header("content-type").value_or("");
  const std::string_view content_type = trim(content_type_header.substr(0, content_type_header.find(';')));
  const std::string_view target = request.header("x-amz-target").value_or("");
  const size_t dot = target.find('.');
  const std::string_view service = target.substr(0, dot);
  const std::string_view operation_name = dot == std::string_view::npos ? "" : target.substr(dot + 1);
  const Operation operation = service == kTargetPrefix ? find_operation(operation_name) : nullptr;
  const bool subscribe = service == kTargetPrefix && operation_name == kSubscribeToShard;
  const bool cbor_body = content_type == kCborContentType;
  const bool json_body = content_type == kJsonContentType || content_type == "application/json";

  if (request.body.empty()) {
    const std::string_view answer_type =
        content_type == kJsonContentType ? kJsonContentType : kCborContentType;
    return error_response(std::move(response), answer_type,
                          operation || subscribe ? "SerializationException" : "UnknownOperationException",
                          400, std::nullopt);
  }
  if (!json_body && !cbor_body) {
    if (service.empty() || operation_name.empty()) {
      return xml_error_response(std::move(response), "AccessDeniedException", 403, kNoOperation);
    }
    return xml_error_response(std::move(response), "UnknownOperationException", 404, std::nullopt);
  }
  // A CBOR body is read as the JSON it stands for (cbor.h).
  std::optional<std::string> cbor_as_json;
  if (cbor_body) cbor_as_json = cbor_request_to_json(request.body);
  api::RequestBody body;
  const bool parsed = cbor_body ? cbor_as_json && body.parse(*cbor_as_json) : body.parse(request.body);
  if (!parsed || !body.root().is_object()) {
    if (content_type == "application/json") {
      api::ordered_json coral = {{"Output", {{"__type", "com.amazon.coral.service#SerializationException"}}},
                                 {"Version", "1.0"}};
      return json_response(std::move(response), 400, content_type, coral);
    }
    return error_response(std::move(response), content_type, "SerializationException", 400, std::nullopt);
  }
  if (content_type == "application/json") {
    // The legacy Coral form gets no further on AWS either.
    api::ordered_json coral = {{"Output", {{"__type", "com.amazon.coral.service#UnknownOperationException"}}},
                               {"Version", "1.0"}};
    return json_response(std::move(response), 404, content_type, coral);
  }
  if (operation == nullptr && !subscribe) {
    return error_response(std::move(response), content_type, "UnknownOperationException", 400, std::nullopt);
  }
  if (auto refused = check_signature_presence(request)) {
    return error_response(std::move(response), content_type, refused->type, refused->status,
                          refused->message);
  }
  if (verifier_) {
    if (auto refused = verifier_->verify(request, now_ms())) {
      return error_response(std::move(response), content_type, refused->type, refused->status,
                            refused->message);
    }
  }
  if (subscribe) return this->subscribe(std::move(response), content_type, body.root());
  OperationResult result = operation(context_, body.root());
  if (!result.ok()) return error_response(std::move(response), content_type, result.error());
  if (!*result) {
    response.status = 200;
    response.set_header("Content-Type", std::string(content_type));
    return response;
  }
  return answer_response(std::move(response), 200, content_type, std::move(**result));
}

HttpResponse Service::subscribe(HttpResponse response, std::string_view content_type, api::Body body) const {
  auto request = api::SubscribeToShardRequest::from_json(body);
  if (!request.ok()) return error_response(std::move(response), content_type, request.error());
  auto subscription = api::ShardSubscription::open(context_, *request, subscriptions_.get());
  if (!subscription.ok()) return error_response(std::move(response), content_type, subscription.error());
  response.status = 200;
  response.set_header("Content-Type", "application/vnd.amazon.eventstream");
  response.stream = std::make_shared<SubscriptionStream>(
      std::move(*subscription), content_type == kCborContentType, subscription_times_);
  return response;
}

}  // namespace kds::serve
