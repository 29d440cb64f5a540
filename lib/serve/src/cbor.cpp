#include "cbor.h"

#include <cbor.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "kds/base64.h"

namespace kds::serve {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Nesting deeper than any request of the API model needs is refused rather than followed.
constexpr int kMaxDepth = 32;

// Members that are Timestamps in requests and in answers.
bool is_request_timestamp(std::string_view key) {
  return key == "Timestamp" || key == "StreamCreationTimestamp";
}
bool is_answer_timestamp(std::string_view key) {
  return key == "ApproximateArrivalTimestamp" || key == "StreamCreationTimestamp" ||
         key == "ConsumerCreationTimestamp" || key == "StartedAt" || key == "EndedAt" ||
         key == "EarliestAllowedEndAt";
}
// Blob members of answers (GetRecords' records).
bool is_answer_blob(std::string_view key) {
  return key == "Data";
}

// One reference to a libcbor item, released when it goes.
class Item {
 public:
  explicit Item(cbor_item_t* item) : item_(item) {}
  ~Item() {
    if (item_ != nullptr) cbor_decref(&item_);
  }
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  cbor_item_t* get() const { return item_; }
  cbor_item_t* release() { return std::exchange(item_, nullptr); }

 private:
  cbor_item_t* item_;
};

// A definite or chunked string's bytes.
std::optional<std::string> string_bytes(cbor_item_t* item, bool text) {
  const bool definite = text ? cbor_string_is_definite(item) : cbor_bytestring_is_definite(item);
  if (definite) {
    const auto* data = text ? cbor_string_handle(item) : cbor_bytestring_handle(item);
    const size_t size = text ? cbor_string_length(item) : cbor_bytestring_length(item);
    return std::string(reinterpret_cast<const char*>(data), size);
  }
  cbor_item_t** chunks = text ? cbor_string_chunks_handle(item) : cbor_bytestring_chunks_handle(item);
  const size_t count = text ? cbor_string_chunk_count(item) : cbor_bytestring_chunk_count(item);
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    auto chunk = string_bytes(chunks[i], text);
    if (!chunk) return std::nullopt;
    out += *chunk;
  }
  return out;
}

std::optional<double> number_of(cbor_item_t* item) {
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
      return static_cast<double>(cbor_get_int(item));
    case CBOR_TYPE_NEGINT:
      return -1.0 - static_cast<double>(cbor_get_int(item));
    case CBOR_TYPE_FLOAT_CTRL:
      if (!cbor_float_ctrl_is_ctrl(item)) return cbor_float_get_float(item);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// The JSON 1.1 form of a request's CBOR value; nullopt for what JSON cannot hold (undefined, a map key
// that is not text, too deep).
std::optional<json> to_json_form(cbor_item_t* item, bool timestamp, int depth) {
  if (depth > kMaxDepth) return std::nullopt;
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
    case CBOR_TYPE_NEGINT: {
      if (timestamp) return *number_of(item) / 1000.0;  // milliseconds in CBOR, seconds in JSON
      const uint64_t value = cbor_get_int(item);
      if (cbor_typeof(item) == CBOR_TYPE_UINT) return json(value);
      if (value <= static_cast<uint64_t>(INT64_MAX)) return json(-1 - static_cast<int64_t>(value));
      return json(-1.0 - static_cast<double>(value));
    }
    case CBOR_TYPE_BYTESTRING: {
      auto bytes = string_bytes(item, false);
      if (!bytes) return std::nullopt;
      std::string text;
      base64_encode(*bytes, &text);
      return json(std::move(text));
    }
    case CBOR_TYPE_STRING: {
      auto text = string_bytes(item, true);
      if (!text) return std::nullopt;
      return json(std::move(*text));
    }
    case CBOR_TYPE_ARRAY: {
      json array = json::array();
      cbor_item_t** elements = cbor_array_handle(item);
      for (size_t i = 0; i < cbor_array_size(item); ++i) {
        auto element = to_json_form(elements[i], false, depth + 1);
        if (!element) return std::nullopt;
        array.push_back(std::move(*element));
      }
      return array;
    }
    case CBOR_TYPE_MAP: {
      json object = json::object();
      cbor_pair* pairs = cbor_map_handle(item);
      for (size_t i = 0; i < cbor_map_size(item); ++i) {
        if (cbor_typeof(pairs[i].key) != CBOR_TYPE_STRING) return std::nullopt;
        auto key = string_bytes(pairs[i].key, true);
        if (!key) return std::nullopt;
        auto value = to_json_form(pairs[i].value, is_request_timestamp(*key), depth + 1);
        if (!value) return std::nullopt;
        object[*key] = std::move(*value);
      }
      return object;
    }
    case CBOR_TYPE_TAG: {
      Item tagged(cbor_tag_item(item));
      return to_json_form(tagged.get(), timestamp, depth + 1);
    }
    case CBOR_TYPE_FLOAT_CTRL:
      // cbor_is_null and cbor_is_bool assert that the item is not a float: ask first.
      if (cbor_float_ctrl_is_ctrl(item)) {
        if (cbor_is_null(item)) return json(nullptr);
        if (cbor_is_bool(item)) return json(cbor_get_bool(item));
        return std::nullopt;  // undefined and simple values
      }
      if (timestamp) return cbor_float_get_float(item) / 1000.0;
      return json(cbor_float_get_float(item));
  }
  return std::nullopt;
}

cbor_item_t* unsigned_item(uint64_t value) {
  if (value <= UINT8_MAX) return cbor_build_uint8(static_cast<uint8_t>(value));
  if (value <= UINT16_MAX) return cbor_build_uint16(static_cast<uint16_t>(value));
  if (value <= UINT32_MAX) return cbor_build_uint32(static_cast<uint32_t>(value));
  return cbor_build_uint64(value);
}

cbor_item_t* integer_item(int64_t value) {
  if (value >= 0) return unsigned_item(static_cast<uint64_t>(value));
  const auto magnitude = static_cast<uint64_t>(-(value + 1));
  cbor_item_t* item = unsigned_item(magnitude);
  cbor_mark_negint(item);
  return item;
}

// The CBOR item of an answer's value (`key` is the member it is the value of); null when libcbor could
// not allocate.
cbor_item_t* to_cbor_item(const ordered_json& value, std::string_view key) {
  switch (value.type()) {
    case json::value_t::object: {
      Item map(cbor_new_definite_map(value.size()));
      if (map.get() == nullptr) return nullptr;
      for (const auto& [name, member] : value.items()) {
        Item name_item(cbor_build_stringn(name.data(), name.size()));
        Item member_item(to_cbor_item(member, name));
        if (name_item.get() == nullptr || member_item.get() == nullptr) return nullptr;
        if (!cbor_map_add(map.get(), {name_item.get(), member_item.get()})) return nullptr;
      }
      return map.release();
    }
    case json::value_t::array: {
      Item array(cbor_new_definite_array(value.size()));
      if (array.get() == nullptr) return nullptr;
      for (const auto& element : value) {
        Item element_item(to_cbor_item(element, ""));
        if (element_item.get() == nullptr || !cbor_array_push(array.get(), element_item.get()))
          return nullptr;
      }
      return array.release();
    }
    case json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (is_answer_blob(key)) {
        const std::string bytes = base64_decode(text).value_or("");
        return cbor_build_bytestring(reinterpret_cast<cbor_data>(bytes.data()), bytes.size());
      }
      return cbor_build_stringn(text.data(), text.size());
    }
    case json::value_t::number_unsigned:
    case json::value_t::number_integer:
    case json::value_t::number_float: {
      if (is_answer_timestamp(key)) {
        // Tag 1 (epoch time) around integer milliseconds, as AWS's CBOR has it.
        Item milliseconds(integer_item(std::llround(value.get<double>() * 1000.0)));
        if (milliseconds.get() == nullptr) return nullptr;
        return cbor_build_tag(1, milliseconds.get());
      }
      if (value.is_number_float()) return cbor_build_float8(value.get<double>());
      if (value.is_number_unsigned()) return unsigned_item(value.get<uint64_t>());
      return integer_item(value.get<int64_t>());
    }
    case json::value_t::boolean:
      return cbor_build_bool(value.get<bool>());
    default:
      return cbor_new_null();
  }
}

// Whether every array and map head in `body` declares no more items than the bytes after it could hold.
// cbor_load allocates a definite array or map for its declared count before reading the items, so a few
// bytes could make it allocate gigabytes; libcbor's streaming decoder reads the heads without building
// anything, and this pass refuses such counts first.
bool counts_fit(std::string_view body) {
  struct Check {
    size_t remaining = 0;
    bool fits = true;
  };
  cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.array_start = [](void* context, size_t count) {
    auto* check = static_cast<Check*>(context);
    if (count > check->remaining) check->fits = false;
  };
  callbacks.map_start = [](void* context, size_t count) {
    auto* check = static_cast<Check*>(context);
    if (count > check->remaining / 2) check->fits = false;
  };
  Check check;
  const auto* data = reinterpret_cast<cbor_data>(body.data());
  size_t offset = 0;
  while (offset < body.size() && check.fits) {
    check.remaining = body.size() - offset;
    const cbor_decoder_result result =
        cbor_stream_decode(data + offset, body.size() - offset, &callbacks, &check);
    if (result.status != CBOR_DECODER_FINISHED || result.read == 0) return false;
    offset += result.read;
  }
  return check.fits;
}

}  // namespace

std::optional<std::string> cbor_request_to_json(std::string_view body) {
  if (!counts_fit(body)) return std::nullopt;
  cbor_load_result result{};
  Item root(cbor_load(reinterpret_cast<cbor_data>(body.data()), body.size(), &result));
  if (root.get() == nullptr || result.error.code != CBOR_ERR_NONE || result.read != body.size()) {
    return std::nullopt;
  }
  auto value = to_json_form(root.get(), false, 0);
  if (!value) return std::nullopt;
  return value->dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string json_answer_to_cbor(std::string_view json_text) {
  Item item(to_cbor_item(ordered_json::parse(json_text), ""));
  if (item.get() == nullptr) throw std::bad_alloc();
  unsigned char* buffer = nullptr;
  size_t capacity = 0;
  const size_t size = cbor_serialize_alloc(item.get(), &buffer, &capacity);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  if (size == 0) throw std::bad_alloc();
  return out;
}

}  // namespace kds::serve
