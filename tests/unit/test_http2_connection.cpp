// kds-serve's HTTP/2 codec (lib/serve/src/http2_connection.h) against nghttp2's own client session, bytes
// passed by hand: requests gathered and answered, flow control both ways, the 413 limit, GOAWAY.
#include <doctest/doctest.h>

#include <nghttp2/nghttp2.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "../../lib/serve/src/http2_connection.h"
#include "serve_fixture.h"

using kds::serve::Http2Connection;

namespace {

struct Answer {
  std::map<std::string, std::string> headers;  // ":status" among them
  std::string body;
  bool closed = false;
  uint32_t error = 0;  // the RST_STREAM code, if any
};

// An HTTP/2 client: nghttp2's client session, with what each stream was answered.
class Client {
 public:
  Client() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t name_length,
                      const uint8_t* value, size_t value_length, uint8_t, void* user) {
          static_cast<Client*>(user)->answers[frame->hd.stream_id].headers.emplace(
              std::string(reinterpret_cast<const char*>(name), name_length),
              std::string(reinterpret_cast<const char*>(value), value_length));
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        callbacks, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t length, void* user) {
          static_cast<Client*>(user)->answers[id].body.append(reinterpret_cast<const char*>(data), length);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        callbacks, [](nghttp2_session*, int32_t id, uint32_t error, void* user) {
          auto& answer = static_cast<Client*>(user)->answers[id];
          answer.closed = true;
          answer.error = error;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        callbacks, [](nghttp2_session*, const nghttp2_frame* frame, void* user) {
          if (frame->hd.type == NGHTTP2_GOAWAY) static_cast<Client*>(user)->goaway = true;
          return 0;
        });
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~Client() { nghttp2_session_del(session_); }

  // Submits a JSON 1.1 request for `operation`; returns its stream id.
  int32_t request(const std::string& operation, std::string body) {
    bodies_.push_back({std::move(body), 0});
    const std::vector<std::pair<std::string, std::string>> fields = {
        {":method", "POST"},
        {":scheme", "http"},
        {":path", "/"},
        {":authority", "127.0.0.1:4567"},
        {"content-type", "application/x-amz-json-1.1"},
        {"x-amz-target", "Kinesis_20131202." + operation},
        {"x-amz-date", "20261203T000000Z"},
        {"authorization",
         "AWS4-HMAC-SHA256 Credential=AKID/20261203/us-east-1/kinesis/aws4_request, SignedHeaders=host, "
         "Signature=00"}};
    std::vector<nghttp2_nv> entries;
    for (const auto& [name, value] : fields) {
      entries.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                         reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                         value.size(), NGHTTP2_NV_FLAG_NONE});
    }
    nghttp2_data_provider provider{};
    provider.source.ptr = &bodies_.back();
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                                nghttp2_data_source* source, void*) -> ssize_t {
      auto& [text, sent] = *static_cast<std::pair<std::string, size_t>*>(source->ptr);
      const size_t count = std::min(length, text.size() - sent);
      std::copy_n(text.data() + sent, count, buffer);
      sent += count;
      if (sent == text.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(count);
    };
    return nghttp2_submit_request(session_, nullptr, entries.data(), entries.size(), &provider, nullptr);
  }

  std::string output() {
    std::string out;
    const uint8_t* data = nullptr;
    for (ssize_t count; (count = nghttp2_session_mem_send(session_, &data)) > 0;)
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(count));
    return out;
  }
  void input(const std::string& bytes) {
    REQUIRE(nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(bytes.data()),
                                     bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }

  std::map<int32_t, Answer> answers;
  bool goaway = false;

 private:
  nghttp2_session* session_ = nullptr;
  std::list<std::pair<std::string, size_t>> bodies_;  // request bodies and how much of each is sent
};

// Passes bytes both ways until neither side has anything to say.
void exchange(Client& client, Http2Connection& server) {
  for (int round = 0; round < 10000; ++round) {
    const std::string request_bytes = client.output();
    if (!request_bytes.empty()) {
      REQUIRE(server.receive(request_bytes));
      server.answer();
    }
    std::string answer_bytes;
    server.take_output(answer_bytes);
    if (!answer_bytes.empty()) client.input(answer_bytes);
    if (request_bytes.empty() && answer_bytes.empty()) return;
  }
  FAIL("the exchange does not end");
}

}  // namespace

TEST_CASE("http2: requests on one connection are answered, each on its stream") {
  kds_test::ServeFixture fixture;
  Http2Connection server(fixture.service);
  Client client;
  const int32_t create = client.request("CreateStream", R"({"StreamName":"h2","ShardCount":2})");
  const int32_t list = client.request("ListStreams", "{}");
  const int32_t missing = client.request("DescribeStreamSummary", R"({"StreamName":"absent"})");
  exchange(client, server);

  REQUIRE(client.answers[create].closed);
  CHECK(client.answers[create].headers[":status"] == "200");
  CHECK(client.answers[create].error == NGHTTP2_NO_ERROR);
  // Answered in the order the requests completed, so ListStreams sees the stream just created.
  CHECK(client.answers[list].body.find(R"("StreamNames":["h2"])") != std::string::npos);
  CHECK(client.answers[list].headers["content-type"] == "application/x-amz-json-1.1");
  CHECK(client.answers[list].headers["content-length"] == std::to_string(client.answers[list].body.size()));
  CHECK(client.answers[list].headers.count("x-amzn-requestid") == 1);  // header names in lower case
  CHECK(client.answers[missing].headers[":status"] == "400");
  CHECK(client.answers[missing].headers["x-amzn-errortype"] == "ResourceNotFoundException");
  CHECK(server.alive());
}

TEST_CASE("http2: bodies past the flow-control windows both ways, past 16 MiB, 413") {
  kds_test::ServeFixture fixture;
  Http2Connection server(fixture.service);
  Client client;
  client.request("CreateStream", R"({"StreamName":"big","ShardCount":1})");
  exchange(client, server);

  // 100 records of 40,000 base64 characters: a 4 MB request, past the client's 64 KiB default window,
  // and a GetRecords answer as large, past the server's.
  std::string records;
  for (int i = 0; i < 100; ++i) {
    records +=
        (i ? "," : "") + std::string(R"({"PartitionKey":"k","Data":")") + std::string(40000, 'A') + "\"}";
  }
  const int32_t put = client.request("PutRecords", R"({"StreamName":"big","Records":[)" + records + "]}");
  const int32_t iterator = client.request(
      "GetShardIterator",
      R"({"StreamName":"big","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"})");
  exchange(client, server);
  REQUIRE(client.answers[put].headers[":status"] == "200");
  CHECK(client.answers[put].body.find(R"("FailedRecordCount":0)") != std::string::npos);
  const auto shard_iterator = nlohmann::json::parse(client.answers[iterator].body)["ShardIterator"];
  const int32_t get = client.request("GetRecords", nlohmann::json{{"ShardIterator", shard_iterator}}.dump());
  exchange(client, server);
  REQUIRE(client.answers[get].closed);
  const auto got = nlohmann::json::parse(client.answers[get].body);
  CHECK(got["Records"].size() == 100);

  const int32_t huge = client.request("ListStreams", std::string(kds::serve::kMaxRequestBytes + 1, ' '));
  const int32_t after = client.request("ListStreams", "{}");
  exchange(client, server);
  CHECK(client.answers[huge].headers[":status"] == "413");
  CHECK(client.answers[after].headers[":status"] == "200");
}

TEST_CASE("http2: shut_down sends GOAWAY and ends the connection once its requests are answered") {
  kds_test::ServeFixture fixture;
  Http2Connection server(fixture.service);
  Client client;
  const int32_t first = client.request("ListStreams", "{}");
  exchange(client, server);
  CHECK(client.answers[first].headers[":status"] == "200");

  server.shut_down();
  std::string bytes;
  server.take_output(bytes);
  client.input(bytes);
  CHECK(client.goaway);
  CHECK_FALSE(server.alive());
}

TEST_CASE("http2: bytes that are not HTTP/2 end the connection") {
  kds_test::ServeFixture fixture;
  SUBCASE("a wrong preface") {
    Http2Connection server(fixture.service);
    CHECK_FALSE(server.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  SUBCASE("a frame on stream 0 that must not be there") {
    Http2Connection server(fixture.service);
    std::string bytes(kds::serve::kHttp2Preface);
    bytes += std::string("\0\0\0\4\0\0\0\0\0", 9);         // SETTINGS
    bytes += std::string("\0\0\2\0\1\0\0\0\0", 9) + "{}";  // DATA on stream 0: PROTOCOL_ERROR
    server.receive(bytes);
    std::string out;
    server.take_output(out);
    CHECK(out.find(std::string("\7\0\0\0\0\0", 6)) != std::string::npos);  // a GOAWAY frame header
    CHECK_FALSE(server.alive());
  }
}
