// Tags and registered consumers: attributes.json (stream_attributes.h) and the API operations on them
// (lib/api/src/tags.cpp, consumers.cpp), with Kinesis's limits and texts.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <thread>
#include <vector>

#include "api_fixture.h"
#include "kds/stream_attributes.h"

using nlohmann::json;
using namespace kds;
using namespace kds::api;
using kds_test::ApiFixture;
using kds_test::read;

namespace {

const std::string kArn = "arn:aws:kinesis:us-east-1:000000000000:stream/";

Stream open(ApiFixture& f, const std::string& name) {
  auto stream = f.store.open_stream(name);
  REQUIRE(stream.ok());
  return std::move(stream).value();
}

StreamAttributes attributes_of(ApiFixture& f, const std::string& name) {
  auto attributes = read_attributes(open(f, name));
  REQUIRE(attributes.ok());
  return std::move(attributes).value();
}

json list_tags(ApiFixture& f, const json& body) {
  auto request = read<ListTagsForStreamRequest>(body);
  REQUIRE(request.ok());
  auto response = list_tags_for_stream(f.context, *request);
  REQUIRE(response.ok());
  return json::parse(response->to_json().dump());
}

json registered(ApiFixture& f, const std::string& stream, const std::string& name) {
  auto request = read<RegisterStreamConsumerRequest>({{"StreamARN", kArn + stream}, {"ConsumerName", name}});
  REQUIRE(request.ok());
  auto response = register_stream_consumer(f.context, *request);
  REQUIRE(response.ok());
  return json::parse(response->to_json().dump())["Consumer"];
}

}  // namespace

TEST_CASE("attributes.json: round trip, absent file, damage named with the file") {
  StreamAttributes attributes;
  attributes.tags = {{"team", "data"}, {"env", ""}};
  attributes.consumers.push_back({"app", 1796585497608, {{"tier", "gold"}}, R"({"Statement":[]})"});
  auto back = StreamAttributes::from_json(attributes.to_json(), "attributes.json");
  REQUIRE(back.ok());
  CHECK(back->tags == attributes.tags);
  REQUIRE(back->consumers.size() == 1);
  CHECK(back->consumers[0].name == "app");
  CHECK(back->consumers[0].created_ms == 1796585497608);
  CHECK(back->consumers[0].tags == attributes.consumers[0].tags);
  CHECK(back->consumers[0].policy == attributes.consumers[0].policy);
  attributes.policy = R"({"Version":"2012-10-17","Statement":[]})";
  attributes.shard_level_metrics = {"IncomingBytes", "IteratorAgeMilliseconds"};
  back = StreamAttributes::from_json(attributes.to_json(), "attributes.json");
  REQUIRE(back.ok());
  CHECK(back->policy == attributes.policy);
  CHECK(back->shard_level_metrics == attributes.shard_level_metrics);

  const char* const bad[] = {
      "",
      "{}",
      R"({"FormatVersion":2,"Tags":{},"Consumers":[]})",
      R"({"FormatVersion":1,"Tags":{"a":1},"Consumers":[]})",
      R"({"FormatVersion":1,"Tags":[],"Consumers":[]})",
      R"({"FormatVersion":1,"Tags":{},"Consumers":[{"ConsumerName":"a","CreatedMs":1.5,"Tags":{}}]})",
      R"({"FormatVersion":1,"Tags":{},"Consumers":[{"ConsumerName":"a","CreatedMs":18446744073709551615,"Tags":{}}]})",
      R"({"FormatVersion":1,"Tags":{},"Consumers":{}})",
      R"({"FormatVersion":1,"Tags":{},"ShardLevelMetrics":"ALL","Consumers":[]})",
      R"({"FormatVersion":1,"Tags":{},"Consumers":[{"ConsumerName":"a","CreatedMs":1,"Tags":{}},)"
      R"({"ConsumerName":"a","CreatedMs":2,"Tags":{}}]})",
  };
  for (const char* text : bad) {
    CAPTURE(text);
    auto parsed = StreamAttributes::from_json(text, "/s/x.stream/attributes.json");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code() == Errc::kCorruption);
    CHECK(parsed.error().message().starts_with("/s/x.stream/attributes.json: "));
  }

  ApiFixture f;
  f.create("plain", 1);
  CHECK(attributes_of(f, "plain").tags.empty());
  Stream stream = open(f, "plain");
  REQUIRE(stream.dir().write_file_atomic(kStreamAttributesName, "{not json").ok());
  CHECK(f.error_of<ListTagsForStreamRequest>({{"StreamName", "plain"}}, list_tags_for_stream)
            .find("attributes.json: not valid stream attributes") != std::string::npos);
}

TEST_CASE("ARN patterns: ResourceARN and ConsumerARN as the model writes them") {
  CHECK(matches(Pattern::kResourceArn, kArn + "s"));
  CHECK(matches(Pattern::kResourceArn, kArn + "s/consumer/c:1"));
  CHECK(matches(Pattern::kResourceArn, "arn:aws-cn:kinesis:x:y:123456789012:anything/stream/s"));
  CHECK_FALSE(matches(Pattern::kResourceArn, "arn:aws:kinesis:us-east-1:000000000000:stream/"));
  CHECK_FALSE(matches(Pattern::kResourceArn, "arn:aws:kinesis:us-east-1:0000:stream/s"));
  CHECK_FALSE(matches(Pattern::kResourceArn, kArn + "a b"));
  CHECK_FALSE(matches(Pattern::kResourceArn, "arn:aws:kinesis:123456789012:stream/s"));  // no second colon
  CHECK(matches(Pattern::kConsumerArn, kArn + "s/consumer/c.1-x_y:1796585497"));
  CHECK_FALSE(matches(Pattern::kConsumerArn, kArn + "s/consumer/c:"));
  CHECK_FALSE(matches(Pattern::kConsumerArn, kArn + "s/consumer/:1"));
  CHECK_FALSE(matches(Pattern::kConsumerArn, kArn + "s/x/consumer/c:1"));
  CHECK_FALSE(matches(Pattern::kConsumerArn, kArn + "s"));
  std::string repeated;
  for (int i = 0; i < 100000; ++i)
    repeated += "stream/";
  CHECK(matches(Pattern::kResourceArn, "arn:aws:kinesis:x:123456789012:" + repeated));
  CHECK_FALSE(
      matches(Pattern::kResourceArn, "arn:aws:kinesis:x:123456789012:" + repeated + " x"));  // linear time
  CHECK_FALSE(matches(Pattern::kConsumerArn, "arn:aws:kinesis:x:123456789012:" + repeated + "a:1"));
}

TEST_CASE("tags: added, listed in key order by pages, removed, CreateStream takes them") {
  ApiFixture f;
  f.create("s", 1);
  CHECK(f.error_of<AddTagsToStreamRequest>(
            {{"StreamName", "s"}, {"Tags", {{"b", "2"}, {"a", "1"}, {"c", ""}}}}, add_tags_to_stream) == "");
  CHECK(f.error_of<AddTagsToStreamRequest>({{"StreamName", "s"}, {"Tags", {{"b", "two"}}}},
                                           add_tags_to_stream) ==
        "");  // a key given again takes the new value
  CHECK(list_tags(f, {{"StreamName", "s"}}) ==
        json::parse(R"({"Tags":[{"Key":"a","Value":"1"},{"Key":"b","Value":"two"},{"Key":"c","Value":""}],)"
                    R"("HasMoreTags":false})"));
  CHECK(list_tags(f, {{"StreamName", "s"}, {"Limit", 1}, {"ExclusiveStartTagKey", "a"}}) ==
        json::parse(R"({"Tags":[{"Key":"b","Value":"two"}],"HasMoreTags":true})"));
  CHECK(list_tags(f, {{"StreamName", "s"}, {"ExclusiveStartTagKey", "bb"}}) ==
        json::parse(R"({"Tags":[{"Key":"c","Value":""}],"HasMoreTags":false})"));
  CHECK(f.error_of<RemoveTagsFromStreamRequest>({{"StreamName", "s"}, {"TagKeys", {"b", "absent"}}},
                                                remove_tags_from_stream) == "");
  // A change that changes nothing writes nothing: a stream without attributes keeps none.
  f.create("bare", 1);
  CHECK(f.error_of<RemoveTagsFromStreamRequest>({{"StreamName", "bare"}, {"TagKeys", {"absent"}}},
                                                remove_tags_from_stream) == "");
  CHECK_FALSE(open(f, "bare").dir().stat_entry(kStreamAttributesName).ok());
  CHECK(attributes_of(f, "s").tags == Tags{{"a", "1"}, {"c", ""}});

  CHECK(f.error_of<CreateStreamRequest>(
            {{"StreamName", "born"}, {"ShardCount", 1}, {"Tags", {{"team", "data"}, {"env", "dév"}}}},
            create_stream) == "");
  CHECK(attributes_of(f, "born").tags == Tags{{"env", "dév"}, {"team", "data"}});
  // Tags that break a rule: the stream is not created.
  CHECK(f.error_of<CreateStreamRequest>({{"StreamName", "never"}, {"ShardCount", 1}, {"Tags", {{"a%", "1"}}}},
                                        create_stream)
            .starts_with("InvalidArgumentException: Failed to add tags to stream never under account"));
  CHECK_FALSE(f.store.open_stream("never").ok());
}

TEST_CASE("tags: a key given twice in one request counts once, with its last value") {
  RequestBody body;
  REQUIRE(body.parse(R"({"StreamName":"s","Tags":{"a":"1","b":"2","a":"3","c":null}})"));
  auto request = AddTagsToStreamRequest::from_json(body.root());
  REQUIRE(request.ok());
  CHECK(*request->tags == StringMap{{"a", "3"}, {"b", "2"}});
}

TEST_CASE("tags: Kinesis's limits and texts") {
  ApiFixture f;
  f.create("s", 1);
  auto add = [&](const json& tags) {
    return f.error_of<AddTagsToStreamRequest>({{"StreamName", "s"}, {"Tags", tags}}, add_tags_to_stream);
  };
  CHECK(
      add(json::object()) ==
      "ValidationException: 1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: "
      "Member must have length greater than or equal to 1");
  CHECK(
      add({{std::string(129, 'k'), "v"}, {"ok", std::string(257, 'v')}}) ==
      "ValidationException: 2 validation errors detected: Value '{" + std::string(129, 'k') +
          "=v, ok=" + std::string(257, 'v') +
          "}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have "
          "length less than or equal to 128, Member must have length greater than or equal to 1]; Value '{" +
          std::string(129, 'k') + "=v, ok=" + std::string(257, 'v') +
          "}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have "
          "length less than or equal to 256, Member must have length greater than or equal to 0]");
  CHECK(add({{"k", 1}}) ==
        "SerializationException: " +
            std::string("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can "
                        "not be converted to an String"));
  CHECK(add(json::array()) == "SerializationException: Start of list found where not expected");
  CHECK(add("x") == "SerializationException: Expected map or null");
  CHECK(add({{"k!", "v"}}) ==
        "InvalidArgumentException: Some tags contain invalid characters. Valid characters: Unicode letters, "
        "digits, white space, _ . / = + - % @ :.");
  CHECK(
      add({{"k", "50%"}}) ==
      "InvalidArgumentException: Failed to add tags to stream s under account 000000000000 because some tags "
      "contained illegal characters. The allowed characters are Unicode letters, white-spaces, "
      "'_',',','/','=','+','-','@',':'.");
  CHECK(add({{"aws:owner", "me"}})
            .starts_with("InvalidArgumentException: Failed to add tags to stream s under account "
                         "000000000000 because the tag key "
                         "aws:owner begins with 'aws:'"));
  CHECK(add({{"Ünï cødé 名前 a_b.c/d=e+f-g@h:i", "ok"}}) == "");
  json fifty = json::object();
  for (int i = 0; i < 49; ++i)
    fifty["k" + std::to_string(i)] = "v";
  CHECK(add(fifty) == "");  // 49 + the one above
  CHECK(add({{"one-more", "v"}}) ==
        "InvalidArgumentException: Failed to add tags to stream s under account 000000000000 because a given "
        "stream cannot have more than 50 tags associated with it.");
  CHECK(add({{"k0", "replaced"}}) == "");  // replacing keeps the count
  CHECK(attributes_of(f, "s").tags.size() == 50);
  CHECK(f.error_of<RemoveTagsFromStreamRequest>({{"StreamName", "s"}, {"TagKeys", json::array()}},
                                                remove_tags_from_stream) ==
        "ValidationException: 1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1");
  CHECK(
      f.error_of<ListTagsForStreamRequest>({{"StreamName", "s"}, {"Limit", 51}}, list_tags_for_stream) ==
      "ValidationException: 1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: "
      "Member must have value less than or equal to 50");
  CHECK(f.error_of<AddTagsToStreamRequest>({{"StreamName", "none"}, {"Tags", {{"a", "b"}}}},
                                           add_tags_to_stream) ==
        "ResourceNotFoundException: Stream none under account 000000000000 not found.");
}

TEST_CASE("tags: concurrent changes are all kept (the control lock serialises them)") {
  ApiFixture f;
  f.create("s", 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&f, t] {
      for (int i = 0; i < 5; ++i) {
        AddTagsToStreamRequest request;
        request.stream.name = "s";
        request.tags = StringMap{{"t" + std::to_string(t) + "-" + std::to_string(i), "v"}};
        CHECK(add_tags_to_stream(f.context, request).ok());
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  CHECK(attributes_of(f, "s").tags.size() == 40);
}

TEST_CASE("consumers: registered, described by ARN or by stream and name, listed by pages, deregistered") {
  ApiFixture f;
  f.create("s", 1);
  const json consumer = registered(f, "s", "app");
  CHECK(consumer["ConsumerStatus"] == "CREATING");
  const std::string arn = consumer["ConsumerARN"];
  CHECK(arn.starts_with(kArn + "s/consumer/app:"));
  auto describe = [&](const json& body) {
    auto request = read<ConsumerRequest>(body);
    REQUIRE(request.ok());
    return describe_stream_consumer(f.context, *request);
  };
  auto by_arn = describe({{"ConsumerARN", arn}});
  REQUIRE(by_arn.ok());
  json description = json::parse(by_arn->to_json().dump())["ConsumerDescription"];
  CHECK(description["ConsumerStatus"] == "ACTIVE");
  CHECK(description["StreamARN"] == kArn + "s");
  CHECK(description["ConsumerARN"] == arn);
  CHECK(describe({{"StreamARN", kArn + "s"}, {"ConsumerName", "app"}}).ok());
  CHECK(describe({{"StreamARN", kArn + "s"}, {"ConsumerName", "app"}, {"ConsumerARN", arn}}).ok());
  CHECK(describe({{"StreamARN", kArn + "s"}}).error().to_string() ==
        "InvalidArgumentException: ConsumerARN or both ConsumerName and StreamARN are required for this "
        "request.");
  CHECK(describe({{"ConsumerName", "other"}, {"ConsumerARN", arn}}).error().code() == Errc::kInvalidArgument);
  CHECK(describe({{"StreamARN", kArn + "t"}, {"ConsumerARN", arn}}).error().code() == Errc::kInvalidArgument);
  CHECK(describe({{"ConsumerARN", arn + "0"}}).error().code() == Errc::kResourceNotFound);  // another time
  CHECK(describe({{"StreamARN", kArn + "s"}, {"ConsumerName", "nope"}}).error().to_string() ==
        "ResourceNotFoundException: Consumer nope of stream s under account 000000000000 not found.");
  CHECK(f.error_of<RegisterStreamConsumerRequest>({{"StreamARN", kArn + "s"}, {"ConsumerName", "app"}},
                                                  register_stream_consumer) ==
        "ResourceInUseException: Consumer app of stream s under account 000000000000 already exists.");

  for (int i = 1; i < 20; ++i)
    registered(f, "s", "c" + std::to_string(i));
  CHECK(
      f.error_of<RegisterStreamConsumerRequest>({{"StreamARN", kArn + "s"}, {"ConsumerName", "x"}},
                                                register_stream_consumer) ==
      "LimitExceededException: Stream s under account 000000000000 already has 20 registered consumers, the "
      "most a stream can have.");
  CHECK(f.error_of<ListStreamConsumersRequest>(
            {{"StreamARN", kArn + "s"}, {"NextToken", "x"}, {"StreamCreationTimestamp", 1}},
            list_stream_consumers) ==
        "InvalidArgumentException: NextToken and StreamCreationTimestamp cannot be provided together.");
  std::vector<std::string> names;
  json body = {{"StreamARN", kArn + "s"}, {"MaxResults", 6}};
  for (int page = 0; page < 10; ++page) {
    auto request = read<ListStreamConsumersRequest>(body);
    REQUIRE(request.ok());
    auto listed = list_stream_consumers(f.context, *request);
    REQUIRE(listed.ok());
    for (const auto& c : listed->consumers)
      names.push_back(c.name);
    if (!listed->next_token) break;
    body["NextToken"] = *listed->next_token;
  }
  CHECK(names.size() == 20);
  CHECK(std::is_sorted(names.begin(), names.end()));

  DescribeStreamSummaryRequest summary_request;
  summary_request.stream.name = "s";
  CHECK(describe_stream_summary(f.context, summary_request)->consumer_count == 20);
  CHECK(f.error_of<DeleteStreamRequest>({{"StreamName", "s"}}, delete_stream) ==
        "ResourceInUseException: Stream s under account 000000000000 has registered consumers. Deregister "
        "them, or set EnforceConsumerDeletion to delete the stream with its consumers.");
  CHECK(f.error_of<ConsumerRequest>({{"ConsumerARN", arn}}, deregister_stream_consumer) == "");
  CHECK(f.error_of<ConsumerRequest>({{"ConsumerARN", arn}}, deregister_stream_consumer)
            .starts_with("ResourceNotFoundException: Consumer " + arn + " of stream s"));
  CHECK(attributes_of(f, "s").consumers.size() == 19);
  CHECK(f.error_of<DeleteStreamRequest>({{"StreamName", "s"}, {"EnforceConsumerDeletion", true}},
                                        delete_stream) == "");
  CHECK_FALSE(f.store.open_stream("s").ok());
}

TEST_CASE("TagResource, UntagResource, ListTagsForResource: streams and consumers by ARN") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = registered(f, "s", "app")["ConsumerARN"];
  auto tags_of = [&](const std::string& arn) {
    auto request = read<ListTagsForResourceRequest>({{"ResourceARN", arn}});
    REQUIRE(request.ok());
    auto listed = list_tags_for_resource(f.context, *request);
    REQUIRE(listed.ok());
    return json::parse(listed->to_json().dump());
  };
  CHECK(f.error_of<TagResourceRequest>({{"ResourceARN", kArn + "s"}, {"Tags", {{"a", "1"}}}}, tag_resource) ==
        "");
  CHECK(f.error_of<TagResourceRequest>({{"ResourceARN", consumer}, {"Tags", {{"b", "2"}, {"c", "3"}}}},
                                       tag_resource) == "");
  CHECK(f.error_of<UntagResourceRequest>({{"ResourceARN", consumer}, {"TagKeys", {"c"}}}, untag_resource) ==
        "");
  CHECK(tags_of(kArn + "s") == json::parse(R"({"Tags":[{"Key":"a","Value":"1"}]})"));
  CHECK(tags_of(consumer) == json::parse(R"({"Tags":[{"Key":"b","Value":"2"}]})"));
  CHECK(f.error_of<TagResourceRequest>({{"ResourceARN", consumer}, {"Tags", {{"x%", "1"}}}}, tag_resource)
            .starts_with("InvalidArgumentException: Failed to add tags to consumer app under account"));
  CHECK(f.error_of<ListTagsForResourceRequest>({{"ResourceARN", kArn + "none"}}, list_tags_for_resource) ==
        "ResourceNotFoundException: Stream none under account 000000000000 not found.");
  CHECK(f.error_of<ListTagsForResourceRequest>({{"ResourceARN", consumer + "1"}}, list_tags_for_resource)
            .starts_with("ResourceNotFoundException: Consumer"));
  CHECK(f.error_of<ListTagsForResourceRequest>({{"ResourceARN", "arn:aws:kinesis:x:1:stream/s"}},
                                               list_tags_for_resource)
            .starts_with(
                "ValidationException: 1 validation error detected: Value 'arn:aws:kinesis:x:1:stream/s' "
                "at 'resourceARN' failed to satisfy constraint: Member must satisfy regular expression "
                "pattern: arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+"));
  CHECK(f.error_of<TagResourceRequest>({{"Tags", {{"a", "1"}}}}, tag_resource) ==
        "ValidationException: 1 validation error detected: Value null at 'resourceARN' failed to satisfy "
        "constraint: Member must not be null");
}

TEST_CASE("resource policies: kept per stream and per consumer, checked to be policy documents") {
  ApiFixture f;
  f.create("s", 1);
  const std::string consumer = registered(f, "s", "app")["ConsumerARN"];
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kinesis:*"}]})";
  auto get = [&](const std::string& arn) {
    auto request = read<ResourcePolicyRequest>({{"ResourceARN", arn}});
    REQUIRE(request.ok());
    auto got = get_resource_policy(f.context, *request);
    REQUIRE(got.ok());
    return got->to_json()["Policy"].get<std::string>();
  };
  CHECK(get(kArn + "s") == "{}");
  CHECK(f.error_of<PutResourcePolicyRequest>({{"ResourceARN", kArn + "s"}, {"Policy", policy}},
                                             put_resource_policy) == "");
  CHECK(f.error_of<PutResourcePolicyRequest>({{"ResourceARN", consumer}, {"Policy", R"({"Statement":[]})"}},
                                             put_resource_policy) == "");
  CHECK(get(kArn + "s") == policy);
  CHECK(get(consumer) == R"({"Statement":[]})");
  CHECK(f.error_of<ResourcePolicyRequest>({{"ResourceARN", kArn + "s"}}, delete_resource_policy) == "");
  CHECK(get(kArn + "s") == "{}");
  CHECK(get(consumer) == R"({"Statement":[]})");
  CHECK(f.error_of<PutResourcePolicyRequest>({{"ResourceARN", kArn + "s"}, {"Policy", "[1]"}},
                                             put_resource_policy) ==
        "InvalidArgumentException: The policy is not a JSON object: a policy document is one.");
  CHECK(f.error_of<PutResourcePolicyRequest>({{"ResourceARN", kArn + "s"}, {"Policy", "{}"}},
                                             put_resource_policy) ==
        "InvalidArgumentException: The policy has no Statement: a policy document needs one.");
  CHECK(f.error_of<PutResourcePolicyRequest>(
             {{"ResourceARN", kArn + "s"}, {"Policy", R"({"Statement":")" + std::string(20480, 'x') + "\"}"}},
             put_resource_policy)
            .starts_with("InvalidArgumentException: The policy is 20496 bytes long"));
  CHECK(f.error_of<PutResourcePolicyRequest>({{"ResourceARN", kArn + "s"}}, put_resource_policy) ==
        "ValidationException: 1 validation error detected: Value null at 'policy' failed to satisfy "
        "constraint: "
        "Member must not be null");
  CHECK(f.error_of<ResourcePolicyRequest>({{"ResourceARN", consumer + "7"}}, get_resource_policy)
            .starts_with("ResourceNotFoundException: Consumer"));
}

TEST_CASE("enhanced monitoring: enabled and disabled by name or ALL, in the model's order, and described") {
  ApiFixture f;
  f.create("s", 1);
  auto change = [&](const json& metrics, bool enable) {
    auto request = read<EnhancedMonitoringRequest>({{"StreamName", "s"}, {"ShardLevelMetrics", metrics}});
    REQUIRE(request.ok());
    auto response = enable ? enable_enhanced_monitoring(f.context, *request)
                           : disable_enhanced_monitoring(f.context, *request);
    REQUIRE(response.ok());
    return json::parse(response->to_json().dump());
  };
  json answer = change({"OutgoingBytes", "IncomingBytes"}, true);
  CHECK(answer["CurrentShardLevelMetrics"] == json::array());
  CHECK(answer["DesiredShardLevelMetrics"] == json({"IncomingBytes", "OutgoingBytes"}));
  CHECK(answer["StreamARN"] == kArn + "s");
  answer = change({"ALL"}, true);
  CHECK(answer["DesiredShardLevelMetrics"].size() == 7);
  answer = change({"IncomingBytes"}, false);
  CHECK(answer["CurrentShardLevelMetrics"].size() == 7);
  CHECK(answer["DesiredShardLevelMetrics"].size() == 6);
  DescribeStreamSummaryRequest summary;
  summary.stream.name = "s";
  json described = json::parse(describe_stream_summary(f.context, summary)->to_json().dump());
  CHECK(described["StreamDescriptionSummary"]["EnhancedMonitoring"][0]["ShardLevelMetrics"] ==
        answer["DesiredShardLevelMetrics"]);
  CHECK(change({"ALL"}, false)["DesiredShardLevelMetrics"] == json::array());
  CHECK(
      f.error_of<EnhancedMonitoringRequest>({{"StreamName", "s"}, {"ShardLevelMetrics", {"Bytes"}}},
                                            enable_enhanced_monitoring) ==
      "ValidationException: 1 validation error detected: Value '[Bytes]' at 'shardLevelMetrics' failed to "
      "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
      "[IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, "
      "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]");
}

TEST_CASE("UpdateStreamMode and UpdateStreamWarmThroughput: kds streams are PROVISIONED") {
  ApiFixture f;
  f.create("s", 1);
  auto mode = [&](const std::string& to) {
    return f.error_of<UpdateStreamModeRequest>(
        {{"StreamARN", kArn + "s"}, {"StreamModeDetails", {{"StreamMode", to}}}}, update_stream_mode);
  };
  CHECK(mode("PROVISIONED") == "");
  CHECK(mode("ON_DEMAND").starts_with("InvalidArgumentException: StreamMode ON_DEMAND is not supported"));
  CHECK(
      mode("FAST").starts_with("ValidationException: 1 validation error detected: Value 'FAST' at "
                               "'streamModeDetails.streamMode'"));
  CHECK(f.error_of<UpdateStreamModeRequest>(
             {{"StreamARN", kArn + "none"}, {"StreamModeDetails", {{"StreamMode", "PROVISIONED"}}}},
             update_stream_mode)
            .starts_with("ResourceNotFoundException"));
  CHECK(f.error_of<UpdateStreamWarmThroughputRequest>({{"StreamName", "s"}, {"WarmThroughputMiBps", 10}},
                                                      update_stream_warm_throughput) ==
        "InvalidArgumentException: WarmThroughputMiBps is only valid for on-demand streams");
  CHECK(f.error_of<UpdateStreamWarmThroughputRequest>({{"StreamName", "s"}, {"WarmThroughputMiBps", -1}},
                                                      update_stream_warm_throughput)
            .starts_with("ValidationException"));
}
