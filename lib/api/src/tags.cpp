// AddTagsToStream, RemoveTagsFromStream, ListTagsForStream, TagResource, UntagResource,
// ListTagsForResource: the request rules; stream_attributes.h keeps the tags.
//
// Kinesis's texts for bad tags are those kinesalite recorded from AWS; the limit is today's 50 tags per
// resource. The refusal of keys beginning with "aws:" (a prefix AWS reserves on every service) is worded
// by kds.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "common.h"
#include "kds/errors.h"
#include "kds/stream_attributes.h"

namespace kds::api {

namespace {

constexpr size_t kMaxTagsPerResource = 50;
constexpr size_t kMaxTagsInRequest = 200;  // the model's bound on a request's map
constexpr size_t kMaxTagKeysInRequest = 50;
constexpr size_t kMaxTagKeyLength = 128;
constexpr size_t kMaxTagValueLength = 256;

// The next code point of UTF-8 `text` from `*at` (JSON text is valid UTF-8: simdjson checks it).
char32_t next_code_point(std::string_view text, size_t* at) {
  const auto lead = static_cast<unsigned char>(text[(*at)++]);
  int extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  char32_t point = extra == 3 ? lead & 0x07 : extra == 2 ? lead & 0x0F : extra == 1 ? lead & 0x1F : lead;
  for (; extra > 0 && *at < text.size(); --extra)
    point = (point << 6) | (static_cast<unsigned char>(text[(*at)++]) & 0x3F);
  return point;
}

enum class TagText { kValid, kPercent, kInvalid };

// Unicode letters as kinesalite approximates them (U+00C0..U+1FFF, U+2C00..U+D7FF), ASCII letters and
// digits, the space, and _ . / = + - @ :; '%' is refused with a text of its own, as AWS does.
TagText check_tag_text(std::string_view text) {
  bool percent = false;
  for (size_t at = 0; at < text.size();) {
    const char32_t c = next_code_point(text, &at);
    const bool ascii_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          std::u32string_view(U" _./=+-@:").find(c) != std::u32string_view::npos;
    const bool letter = (c >= 0xC0 && c <= 0x1FFF) || (c >= 0x2C00 && c <= 0xD7FF);
    if (c == '%') {
      percent = true;
    } else if (!ascii_ok && !letter) {
      return TagText::kInvalid;
    }
  }
  return percent ? TagText::kPercent : TagText::kValid;
}

// What a tag request acts on, for its texts: "stream NAME" or "consumer NAME".
struct Subject {
  std::string_view kind;
  std::string_view name;
};

// The character and prefix rules for keys (and values, when adding), in AWS's order.
Status check_tag_texts(const std::vector<std::string_view>& texts, std::string_view action,
                       const Subject& subject) {
  TagText worst = TagText::kValid;
  for (auto text : texts)
    worst = std::max(worst, check_tag_text(text));
  if (worst == TagText::kInvalid) {
    return Error(
        Errc::kInvalidArgument,
        "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, "
        "_ . / = + - % @ :.");
  }
  if (worst == TagText::kPercent) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Failed to {} {} {} under account {} because some tags contained illegal characters. "
                    "The allowed characters are Unicode letters, white-spaces, "
                    "'_',',','/','=','+','-','@',':'.",
                    action, subject.kind, subject.name, account_id()));
  }
  return {};
}

Status check_reserved_keys(const std::vector<std::string_view>& keys, std::string_view action,
                           const Subject& subject) {
  for (auto key : keys) {
    if (key.starts_with("aws:")) {
      return Error(
          Errc::kInvalidArgument,
          fmt::format("Failed to {} {} {} under account {} because the tag key {} begins with 'aws:', a "
                      "prefix reserved for AWS.",
                      action, subject.kind, subject.name, account_id(), key));
    }
  }
  return {};
}

// Adds `added` to `tags` (a key already there takes the new value) after AddTagsToStream's checks.
Status add_tags(const StringMap& added, const Subject& subject, Tags* tags) {
  std::vector<std::string_view> keys, texts;
  for (const auto& [key, value] : added) {
    keys.push_back(key);
    texts.push_back(key);
    texts.push_back(value);
  }
  KDS_TRY(check_tag_texts(texts, "add tags to", subject));
  KDS_TRY(check_reserved_keys(keys, "add tags to", subject));
  Tags result = *tags;
  for (const auto& [key, value] : added)
    result.insert_or_assign(key, value);
  if (result.size() > kMaxTagsPerResource) {
    return Error(
        Errc::kInvalidArgument,
        fmt::format("Failed to add tags to {} {} under account {} because a given {} cannot have more "
                    "than {} tags associated with it.",
                    subject.kind, subject.name, account_id(), subject.kind, kMaxTagsPerResource));
  }
  *tags = std::move(result);
  return {};
}

Status remove_tags(const std::vector<std::string>& keys, const Subject& subject, Tags* tags) {
  const std::vector<std::string_view> views(keys.begin(), keys.end());
  KDS_TRY(check_tag_texts(views, "remove tags from", subject));
  KDS_TRY(check_reserved_keys(views, "remove tags from", subject));
  for (const auto& key : keys)
    tags->erase(key);  // a key the resource lacks is ignored, as Kinesis does
  return {};
}

StringMap tag_list(const Tags& tags) {
  return StringMap(tags.begin(), tags.end());
}

using TagEdit = std::function<Status(const Subject&, Tags*)>;

// The tags of the stream `ref` names, edited under the stream's control lock by `edit`.
Status change_stream_tags(const Context& context, const StreamRef& ref, const TagEdit& edit) {
  KDS_ASSIGN(Stream stream, open_stream(context, ref));
  return change_attributes(stream, [&](StreamAttributes& attributes) {
    return edit(Subject{"stream", stream.name()}, &attributes.tags);
  });
}

}  // namespace

Result<Tags> new_tags(const StringMap& tags, std::string_view subject_kind, std::string_view subject_name) {
  Tags result;
  KDS_TRY(add_tags(tags, Subject{subject_kind, subject_name}, &result));
  return result;
}

void validate_tags(Validator& validator, const std::optional<StringMap>& tags, bool required) {
  validator.string_map("tags", tags, required, kMaxTagsInRequest, kMaxTagKeyLength, kMaxTagValueLength);
}

ordered_json ListTagsResponse::to_json() const {
  ordered_json list = ordered_json::array();
  for (const auto& [key, value] : tags)
    list.push_back({{"Key", key}, {"Value", value}});
  ordered_json out = {{"Tags", std::move(list)}};
  if (has_more_tags) out["HasMoreTags"] = *has_more_tags;
  return out;
}

Result<AddTagsToStreamRequest> AddTagsToStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  AddTagsToStreamRequest request;
  request.stream = read_stream(reader);
  request.tags = reader.string_map("Tags");
  return finish_reading(reader, std::move(request));
}

Status add_tags_to_stream(const Context& context, const AddTagsToStreamRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  validate_tags(validator, request.tags, true);
  KDS_TRY(validator.finish());
  return change_stream_tags(context, request.stream, [&](const Subject& subject, Tags* tags) {
    return add_tags(*request.tags, subject, tags);
  });
}

Result<RemoveTagsFromStreamRequest> RemoveTagsFromStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  RemoveTagsFromStreamRequest request;
  request.stream = read_stream(reader);
  request.tag_keys = reader.string_list("TagKeys");
  return finish_reading(reader, std::move(request));
}

Status remove_tags_from_stream(const Context& context, const RemoveTagsFromStreamRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  validator.string_list("tagKeys", request.tag_keys, true, kMaxTagKeysInRequest, kMaxTagKeyLength);
  KDS_TRY(validator.finish());
  return change_stream_tags(context, request.stream, [&](const Subject& subject, Tags* tags) {
    return remove_tags(*request.tag_keys, subject, tags);
  });
}

Result<ListTagsForStreamRequest> ListTagsForStreamRequest::from_json(Body body) {
  JsonReader reader(body);
  ListTagsForStreamRequest request;
  request.stream = read_stream(reader);
  request.exclusive_start_tag_key = reader.string("ExclusiveStartTagKey");
  request.limit = reader.integer("Limit");
  return finish_reading(reader, std::move(request));
}

Result<ListTagsResponse> list_tags_for_stream(const Context& context,
                                              const ListTagsForStreamRequest& request) {
  Validator validator;
  validate_stream(validator, request.stream);
  validator.string("exclusiveStartTagKey", request.exclusive_start_tag_key, false, Pattern::kNone, 1,
                   kMaxTagKeyLength);
  validator.integer("limit", request.limit, false, 1, static_cast<int64_t>(kMaxTagsPerResource));
  KDS_TRY(validator.finish());
  KDS_ASSIGN(Stream stream, open_stream(context, request.stream));
  KDS_ASSIGN(StreamAttributes attributes, read_attributes(stream));
  const auto limit = static_cast<size_t>(request.limit.value_or(kMaxTagsPerResource));
  auto first = request.exclusive_start_tag_key ? attributes.tags.upper_bound(*request.exclusive_start_tag_key)
                                               : attributes.tags.begin();
  ListTagsResponse response;
  for (auto it = first; it != attributes.tags.end() && response.tags.size() < limit; ++it)
    response.tags.emplace_back(it->first, it->second);
  response.has_more_tags =
      static_cast<size_t>(std::distance(first, attributes.tags.end())) > response.tags.size();
  return response;
}

Result<TagResourceRequest> TagResourceRequest::from_json(Body body) {
  JsonReader reader(body);
  TagResourceRequest request;
  request.tags = reader.string_map("Tags");
  request.resource_arn = reader.string("ResourceARN");
  return finish_reading(reader, std::move(request));
}

Status tag_resource(const Context& context, const TagResourceRequest& request) {
  Validator validator;
  validate_tags(validator, request.tags, true);
  validate_resource_arn(validator, request.resource_arn);
  KDS_TRY(validator.finish());
  return change_resource(context, *request.resource_arn, [&](Resource& resource) {
    return add_tags(*request.tags, Subject{resource.kind, resource.name}, resource.tags);
  });
}

Result<UntagResourceRequest> UntagResourceRequest::from_json(Body body) {
  JsonReader reader(body);
  UntagResourceRequest request;
  request.tag_keys = reader.string_list("TagKeys");
  request.resource_arn = reader.string("ResourceARN");
  return finish_reading(reader, std::move(request));
}

Status untag_resource(const Context& context, const UntagResourceRequest& request) {
  Validator validator;
  validator.string_list("tagKeys", request.tag_keys, true, kMaxTagKeysInRequest, kMaxTagKeyLength);
  validate_resource_arn(validator, request.resource_arn);
  KDS_TRY(validator.finish());
  return change_resource(context, *request.resource_arn, [&](Resource& resource) {
    return remove_tags(*request.tag_keys, Subject{resource.kind, resource.name}, resource.tags);
  });
}

Result<ListTagsForResourceRequest> ListTagsForResourceRequest::from_json(Body body) {
  JsonReader reader(body);
  ListTagsForResourceRequest request;
  request.resource_arn = reader.string("ResourceARN");
  return finish_reading(reader, std::move(request));
}

Result<ListTagsResponse> list_tags_for_resource(const Context& context,
                                                const ListTagsForResourceRequest& request) {
  Validator validator;
  validate_resource_arn(validator, request.resource_arn);
  KDS_TRY(validator.finish());
  ListTagsResponse response;
  KDS_TRY(read_resource(context, *request.resource_arn,
                        [&](const Resource& resource) { response.tags = tag_list(*resource.tags); }));
  return response;
}

}  // namespace kds::api
