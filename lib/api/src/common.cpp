#include "common.h"

namespace kds::api {

StreamRef read_stream(JsonReader& reader) {
  StreamRef stream;
  stream.name = reader.string("StreamName");
  stream.arn = reader.string("StreamARN");
  return stream;
}

void validate_stream(Validator& validator, const StreamRef& stream) {
  validator.name("streamName", stream.name, false);
  validator.string("streamARN", stream.arn, false, Pattern::kStreamArn, 1, 2048);
}

Result<std::string> stream_name(const StreamRef& stream) {
  return stream_from(stream.name, stream.arn);
}

Result<Stream> open_stream(const Context& context, const StreamRef& stream) {
  KDS_ASSIGN(std::string name, stream_name(stream));
  return context.store->open_stream(name);
}

}  // namespace kds::api
