// Reading an endpoint's large answers — GetRecords, PutRecords, SubscribeToShard's events — with simdjson.
// They are most of what remote mode parses: with nlohmann's DOM, parsing took 90% of kds-get --endpoint's
// time. Small answers (DescribeStream and the like) stay with nlohmann::ordered_json, which keeps their
// order.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/remote/reader.h"
#include "kds/status.h"

namespace kds::remote {

using JsonElement = simdjson::dom::element;

// Parses the answer `text` to `operation` (the answer of `client`, for its error text). The element lives
// until the parser's next parse. {} for an empty answer.
Result<JsonElement> parse_answer(simdjson::dom::parser& parser, const std::string& text, const Client& client,
                                 std::string_view operation);

// Member `name` of `object` when it is a string, else "": answers are read without trusting their types.
std::string_view text_of(JsonElement object, std::string_view name);

// Member `name` of `object` when it is an array, else an empty one.
simdjson::dom::array array_of(JsonElement object, std::string_view name);

// The children named by ChildShards (GetRecords at a shard's end, a SubscribeToShardEvent's last);
// nullopt when `answer` has no ChildShards (kinesalite names none).
std::optional<std::vector<ChildShard>> child_shards(JsonElement answer);

}  // namespace kds::remote
