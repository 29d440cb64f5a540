// Fuzzes kds-serve's request reading (Service::handle, without a network): JSON 1.1 and CBOR 1.1 bodies of
// every operation, on a store of its own. Whatever the body, the answer is a status the wire rules allow,
// in the request's format, and never InternalFailure (which would mean a bad request reached the store as
// damage or an I/O error).
//
// Input: the first byte picks the operation (by index) and the format (high bit: CBOR); the rest is the
// body.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "../../lib/serve/src/cbor.h"
#include "serve_fixture.h"

namespace {

using kds::fuzz::fail;

constexpr std::array kOperations = {"CreateStream",
                                    "DeleteStream",
                                    "DescribeStream",
                                    "DescribeStreamSummary",
                                    "ListStreams",
                                    "ListShards",
                                    "PutRecord",
                                    "PutRecords",
                                    "GetShardIterator",
                                    "GetRecords",
                                    "SplitShard",
                                    "MergeShards",
                                    "UpdateShardCount",
                                    "IncreaseStreamRetentionPeriod",
                                    "DecreaseStreamRetentionPeriod",
                                    "StartStreamEncryption",
                                    "StopStreamEncryption",
                                    "Nothing",
                                    "DescribeLimits"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kds::fuzz::ServeFixture server("serve");
  if (size == 0) return 0;
  const bool cbor = (data[0] & 0x80) != 0;
  const char* operation = kOperations[(data[0] & 0x7f) % kOperations.size()];
  kds::serve::HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"content-type", cbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1"},
                     {"x-amz-target", std::string("Kinesis_20131202.") + operation},
                     {"x-amz-date", "20261203T000000Z"},
                     {"authorization",
                      "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kinesis/aws4_request, "
                      "SignedHeaders=host, Signature=00"}};
  request.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);

  const kds::serve::HttpResponse response = server.service.handle(request);
  if (response.status != 200 && response.status != 400) {
    fail("status " + std::to_string(response.status) + ": " + response.body);
  }
  if (response.body.empty()) {
    if (response.status != 200) fail("an error without a body");
    return 0;
  }
  nlohmann::json answer;
  if (cbor) {
    const auto text = kds::serve::cbor_request_to_json(response.body);
    if (!text) fail("the answer is not CBOR");
    answer = nlohmann::json::parse(*text, nullptr, false);
  } else {
    answer = nlohmann::json::parse(response.body, nullptr, false);
  }
  if (!answer.is_object()) fail("the answer is not an object: " + response.body);
  if (response.status == 400 && !answer.contains("__type")) fail("an error without __type: " + response.body);
  return 0;
}
