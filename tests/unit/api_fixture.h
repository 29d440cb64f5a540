// A store in a temporary directory with an API context over it, and requests read from JSON bodies, for
// the tests of the Kinesis API layer.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <string>
#include <utility>

#include "kds/api/operations.h"
#include "kds/api/request.h"
#include "kds/api/shard_iterator.h"
#include "temp_dir.h"

namespace kds_test {

// `value` as a parsed request body. simdjson's values point into their parser: each body gets a parser of
// its own, kept until the test program ends.
inline kds::api::Body body_of(const nlohmann::json& value) {
  static std::deque<kds::api::RequestBody> bodies;
  REQUIRE(bodies.emplace_back().parse(value.dump()));
  return bodies.back().root();
}

template <class Request>
kds::Result<Request> read(const nlohmann::json& value) {
  return Request::from_json(body_of(value));
}

struct ApiFixture {
  TempDir dir;
  kds::Store store = std::move(kds::Store::open(dir.path()).value());
  kds::api::IteratorCodec codec = std::move(kds::api::IteratorCodec::open(store).value());
  kds::api::Context context = [this] {
    kds::api::Context made;
    made.store = &store;
    made.iterators = &codec;
    return made;
  }();

  // Runs an operation on a JSON body and returns its error text ("" when it succeeded).
  template <class Request, class Op>
  std::string error_of(const nlohmann::json& body, Op op) {
    auto request = read<Request>(body);
    if (!request.ok()) return request.error().to_string();
    auto result = op(context, *request);
    return result.ok() ? std::string() : result.error().to_string();
  }
  void create(const std::string& name, int shards) {
    kds::api::CreateStreamRequest request;
    request.stream.name = name;
    request.shard_count = shards;
    REQUIRE(kds::api::create_stream(context, request).ok());
  }
};

}  // namespace kds_test
