// kds-serve's wire rules (serve/service.h), without a network: the order of checks of wire.md §3, the
// signature presence texts of §6, the error envelope of §4, and operations answered through it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <string>

#include "../../lib/serve/src/cbor.h"
#include "kds/base64.h"
#include "serve_fixture.h"

using kds::serve::HttpRequest;
using kds::serve::HttpResponse;

namespace {

constexpr const char* kAuthorization =
    "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kinesis/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abc123";

// A request as botocore sends one.
HttpRequest call(std::string operation, std::string body) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"content-type", "application/x-amz-json-1.1"},
                     {"x-amz-target", "Kinesis_20131202." + operation},
                     {"x-amz-date", "20261203T000000Z"},
                     {"authorization", kAuthorization}};
  request.body = std::move(body);
  return request;
}

std::string header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

using Server = kds_test::ServeFixture;

// `status` and the error `__type` (from the body, else from an XML body's root element).
std::string outcome(const HttpResponse& response) {
  std::string type;
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("__type")) {
    type = body["__type"];
  } else if (response.body.starts_with("<")) {
    type = response.body.substr(1, response.body.find_first_of("/>") - 1);
  }
  return std::to_string(response.status) + " " + type;
}

}  // namespace

TEST_CASE("serve: the order of checks before an operation runs") {
  Server server;
  HttpRequest request = call("ListStreams", "{}");

  SUBCASE("a method other than POST") {
    request.method = "GET";
    const HttpResponse response = server.handle(request);
    CHECK(outcome(response) == "403 AccessDeniedException");
    CHECK(response.body ==
          "<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be "
          "authorized</Message>\n</AccessDeniedException>\n");
  }
  SUBCASE("an empty body") {
    request.body.clear();
    CHECK(outcome(server.handle(request)) == "400 SerializationException");
    request.headers[1].second = "Kinesis_20131202.Nothing";
    CHECK(outcome(server.handle(request)) == "400 UnknownOperationException");
  }
  SUBCASE("a content type that is not Kinesis's") {
    request.headers[0].second = "text/plain";
    CHECK(outcome(server.handle(request)) == "404 UnknownOperationException");
    request.headers[1].second = "";
    CHECK(outcome(server.handle(request)) == "403 AccessDeniedException");
  }
  SUBCASE("a body that is not a JSON object") {
    for (const char* body : {"[]", "nonsense", "\"text\"", "{\"a\":"}) {
      request.body = body;
      CHECK(outcome(server.handle(request)) == "400 SerializationException");
    }
  }
  SUBCASE("an unknown target") {
    for (const char* target : {"Kinesis_20131202.Fly", "Kinesis_20131202", "DynamoDB_20120810.ListStreams"}) {
      request.headers[1].second = target;
      CHECK(outcome(server.handle(request)) == "400 UnknownOperationException");
    }
  }
  SUBCASE("no signature, both forms, or an incomplete one") {
    request.headers.pop_back();
    HttpResponse response = server.handle(request);
    CHECK(outcome(response) == "400 MissingAuthenticationTokenException");
    CHECK(nlohmann::json::parse(response.body)["message"] == "Missing Authentication Token");
    request.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=a/b");
    request.headers.erase(request.headers.begin() + 2);  // x-amz-date
    response = server.handle(request);
    CHECK(outcome(response) == "400 IncompleteSignatureException");
    CHECK(nlohmann::json::parse(response.body)["message"] ==
          "Authorization header requires 'Signature' parameter. Authorization header requires "
          "'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or "
          "a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a/b");
    // A header that is not UTF-8 is quoted with U+FFFD in its place (once, it ended the server).
    request.headers.back().second = "AWS4-HMAC-SHA256 \x92";
    response = server.handle(request);
    CHECK(outcome(response) == "400 IncompleteSignatureException");
    CHECK(nlohmann::json::parse(response.body)["message"].get<std::string>().ends_with(
        "Authorization=AWS4-HMAC-SHA256 \xef\xbf\xbd"));
    request.target = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256";
    response = server.handle(request);
    CHECK(outcome(response) == "400 InvalidSignatureException");
    request.headers.pop_back();
    response = server.handle(request);
    CHECK(nlohmann::json::parse(response.body)["message"] ==
          "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
          "include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS "
          "query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.");
  }
  SUBCASE("then the members' types and constraints") {
    request = call("DescribeStreamSummary", R"({"StreamName": 5})");
    HttpResponse response = server.handle(request);
    CHECK(outcome(response) == "400 SerializationException");
    CHECK(nlohmann::json::parse(response.body).contains("Message"));
    request.body = R"({"StreamName": ""})";
    response = server.handle(request);
    CHECK(outcome(response) == "400 ValidationException");
    CHECK(nlohmann::json::parse(response.body)["message"].get<std::string>().starts_with(
        "2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint"));
    CHECK(header(response, "X-Amzn-ErrorType") == "ValidationException");
    request.body = R"({"StreamName": "missing"})";
    response = server.handle(request);
    CHECK(outcome(response) == "400 ResourceNotFoundException");
    CHECK(nlohmann::json::parse(response.body)["message"] ==
          "Stream missing under account 000000000000 not found.");
  }
}

TEST_CASE("serve: every answer has a request id, CORS for browsers") {
  Server server;
  HttpResponse response = server.handle(call("ListStreams", "{}"));
  CHECK(response.status == 200);
  CHECK(header(response, "Content-Type") == "application/x-amz-json-1.1");
  CHECK(std::regex_match(header(response, "x-amzn-RequestId"),
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(header(response, "x-amzn-RequestId") !=
        header(server.handle(call("ListStreams", "{}")), "x-amzn-RequestId"));
  CHECK(header(response, "Access-Control-Allow-Origin").empty());

  HttpRequest preflight;
  preflight.method = "OPTIONS";
  preflight.headers = {{"origin", "http://example.com"},
                       {"access-control-request-headers", "x-amz-target"},
                       {"access-control-request-method", "POST"}};
  response = server.handle(preflight);
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  CHECK(header(response, "Access-Control-Allow-Origin") == "*");
  CHECK(header(response, "Access-Control-Allow-Headers") == "x-amz-target");
  CHECK(header(response, "Access-Control-Allow-Methods") == "POST");
  CHECK(header(response, "Access-Control-Max-Age") == "172800");
}

TEST_CASE("serve: operations through the wire, with their output or an empty body") {
  Server server;
  HttpResponse response = server.handle(call("CreateStream", R"({"StreamName":"s","ShardCount":2})"));
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  CHECK(outcome(server.handle(call("CreateStream", R"({"StreamName":"s","ShardCount":2})"))) ==
        "400 ResourceInUseException");

  response = server.handle(call("PutRecord", R"({"StreamName":"s","PartitionKey":"k","Data":"aGVsbG8="})"));
  REQUIRE(response.status == 200);
  const auto put = nlohmann::json::parse(response.body);
  CHECK(put["ShardId"].get<std::string>().starts_with("shardId-00000000000"));

  response = server.handle(call("GetShardIterator", R"({"StreamName":"s","ShardId":")" +
                                                        put["ShardId"].get<std::string>() +
                                                        R"(","ShardIteratorType":"TRIM_HORIZON"})"));
  REQUIRE(response.status == 200);
  const std::string iterator = nlohmann::json::parse(response.body)["ShardIterator"];
  response = server.handle(call("GetRecords", nlohmann::json{{"ShardIterator", iterator}}.dump()));
  REQUIRE(response.status == 200);
  const auto got = nlohmann::json::parse(response.body);
  REQUIRE(got["Records"].size() == 1);
  CHECK(got["Records"][0]["Data"] == "aGVsbG8=");
  CHECK(got["Records"][0]["SequenceNumber"] == put["SequenceNumber"]);

  response = server.handle(call("SplitShard", R"({"StreamName":"s","ShardToSplit":"shardId-000000000000",)"
                                              R"("NewStartingHashKey":"1000"})"));
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  response = server.handle(call("ListShards", R"({"StreamName":"s"})"));
  CHECK(nlohmann::json::parse(response.body)["Shards"].size() == 4);
  CHECK(server.handle(call("DeleteStream", R"({"StreamName":"s"})")).status == 200);
}

TEST_CASE("serve: CBOR 1.1 both ways, as the Java SDK speaks it") {
  using nlohmann::json;
  Server server;
  auto cbor_call = [&](std::string operation, const json& body) {
    const std::vector<std::uint8_t> bytes = json::to_cbor(body);
    HttpRequest request = call(std::move(operation), std::string(bytes.begin(), bytes.end()));
    request.headers[0].second = "application/x-amz-cbor-1.1";
    return server.handle(request);
  };
  // Read back with the server's own reader (nlohmann refuses tag 1): Blobs come out as base64.
  auto decode = [](const HttpResponse& response) {
    auto text = kds::serve::cbor_request_to_json(response.body);
    REQUIRE(text);
    return json::parse(*text);
  };
  REQUIRE(cbor_call("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}}).status == 200);

  // Data as a byte string with every byte value; the answer is CBOR with the request's content type.
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 256; ++i)
    data.push_back(static_cast<std::uint8_t>(i));
  const HttpResponse put =
      cbor_call("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", json::binary(data)}});
  REQUIRE(put.status == 200);
  CHECK(header(put, "Content-Type") == "application/x-amz-cbor-1.1");
  CHECK(decode(put)["SequenceNumber"] == "0");

  // Timestamps: tag 1 around integer milliseconds (the clock is at 1764720000000 ms).
  const HttpResponse iterator = cbor_call("GetShardIterator", {{"StreamName", "s"},
                                                               {"ShardId", "shardId-000000000000"},
                                                               {"ShardIteratorType", "AT_TIMESTAMP"},
                                                               {"Timestamp", 1764720000000}});
  REQUIRE(iterator.status == 200);
  const HttpResponse got =
      cbor_call("GetRecords", {{"ShardIterator", decode(iterator)["ShardIterator"]}, {"Limit", 10}});
  REQUIRE(got.status == 200);
  const json records = decode(got)["Records"];
  REQUIRE(records.size() == 1);
  std::string data_base64;
  kds::base64_encode(std::string(data.begin(), data.end()), &data_base64);
  CHECK(records[0]["Data"] == data_base64);
  CHECK(records[0]["PartitionKey"] == "k");
  CHECK(records[0]["ApproximateArrivalTimestamp"] == 1764720000000);
  const std::string tagged_time = std::string("\xc1\x1b", 2);  // tag 1, then a 64-bit unsigned integer
  CHECK(got.body.find("ApproximateArrivalTimestamp" + tagged_time) != std::string::npos);

  // Errors come back in CBOR, with the same envelope.
  const HttpResponse missing = cbor_call("DescribeStreamSummary", {{"StreamName", "nope"}});
  CHECK(missing.status == 400);
  CHECK(decode(missing)["__type"] == "ResourceNotFoundException");
  HttpRequest garbage = call("ListStreams", std::string("\xff\x00", 2));
  garbage.headers[0].second = "application/x-amz-cbor-1.1";
  const HttpResponse refused = server.handle(garbage);
  CHECK(refused.status == 400);
  CHECK(decode(refused)["__type"] == "SerializationException");
}
