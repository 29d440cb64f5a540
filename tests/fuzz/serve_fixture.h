// A kds-serve Service on a scratch store of its own, for the fuzz targets that drive the server's request
// handling (fuzz_serve, fuzz_http2). Records are not synced: fuzzing is about parsing, not durability.
#pragma once

#include <array>
#include <string>
#include <utility>

#include "fuzz_support.h"
#include "kds/api/shard_iterator.h"
#include "kds/serve/service.h"
#include "kds/store.h"

namespace kds::fuzz {

struct ServeFixture {
  // `name` names the scratch directory; each target uses its own.
  explicit ServeFixture(const std::string& name)
      : store(std::move(kds::Store::open(scratch_dir(name)).value())) {
    context.store = &store;
    context.iterators = &iterators;
    context.sync = kds::SyncMode::kNone;
  }

  kds::Store store;
  kds::api::IteratorCodec iterators{std::array<unsigned char, 32>{}};
  kds::api::Context context;
  kds::serve::Service service{context};
};

}  // namespace kds::fuzz
