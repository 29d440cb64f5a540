// Fuzzes kds-serve's HTTP/2 codec (Http2Connection, without a socket): whatever frames follow the client
// preface, the codec neither crashes nor leaks, answers what it can, and its output is HTTP/2 frames that
// begin with the server's SETTINGS. The requests it completes reach a real Service on a scratch store.
//
// Input: the first byte says where to cut the rest into two reads (a frame split across reads); the rest
// is what the client sends after the preface. Seeds: scripts/fuzz-seeds (frames built by hand).
#include <cstdint>
#include <string>
#include <string_view>

#include "../../lib/serve/src/http2_connection.h"
#include "serve_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kds::fuzz::ServeFixture server("http2");
  if (size == 0) return 0;
  const std::string_view frames(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t cut = frames.size() * data[0] / 256;

  kds::serve::Http2Connection connection(server.service);
  std::string output;
  std::string first(kds::serve::kHttp2Preface);
  first.append(frames.substr(0, cut));
  for (const std::string_view read : {std::string_view(first), frames.substr(cut)}) {
    if (!connection.receive(read)) break;
    connection.answer();
    connection.take_output(output);
  }
  connection.shut_down();
  connection.take_output(output);

  // Frame header: 24-bit length, type, flags, stream id. The server speaks first, with SETTINGS (type 4).
  if (output.size() < 9 || output[3] != 4 || output.substr(5, 4) != std::string(4, '\0')) {
    kds::fuzz::fail("the output does not begin with the server's SETTINGS");
  }
  size_t at = 0;
  while (at + 9 <= output.size()) {
    const auto byte = [&](size_t i) {
      return static_cast<size_t>(static_cast<unsigned char>(output[at + i]));
    };
    const size_t length = byte(0) << 16 | byte(1) << 8 | byte(2);
    if (length > 16384) kds::fuzz::fail("a frame larger than the default SETTINGS_MAX_FRAME_SIZE");
    at += 9 + length;
  }
  if (at != output.size()) kds::fuzz::fail("the output ends inside a frame");
  return 0;
}
