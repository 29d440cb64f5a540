// A kds-serve Service on a temporary store with a fixed clock, for the tests of the wire rules
// (test_serve.cpp) and the transports' codecs (test_http2_connection.cpp).
#pragma once

#include <array>

#include "kds/api/shard_iterator.h"
#include "kds/serve/service.h"
#include "stream_util.h"

namespace kds_test {

struct ServeFixture {
  TempDir tmp;
  ClockGuard clock{1764720000000};
  kds::Store store = open_store(tmp);
  kds::api::IteratorCodec iterators{std::array<unsigned char, 32>{}};
  kds::api::Context context;
  kds::serve::Service service{context};

  ServeFixture() {
    context.store = &store;
    context.iterators = &iterators;
    context.sync = kds::SyncMode::kNone;
  }
  kds::serve::HttpResponse handle(const kds::serve::HttpRequest& request) { return service.handle(request); }
};

}  // namespace kds_test
