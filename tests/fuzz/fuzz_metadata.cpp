// Fuzzes the stream.json parser: it must reject what it cannot check without crashing, and metadata it
// accepts must write out and parse back to the same text.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "kds/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto meta = kds::StreamMeta::from_json(text, "stream.json");
  if (!meta.ok()) {
    if (meta.error().message().empty()) kds::fuzz::fail("rejected without a message");
    return 0;
  }
  const std::string written = meta->to_json();
  auto again = kds::StreamMeta::from_json(written, "stream.json");
  if (!again.ok())
    kds::fuzz::fail("accepted metadata does not parse after writing: " + again.error().message());
  if (again->to_json() != written) kds::fuzz::fail("metadata changes when written twice");
  return 0;
}
