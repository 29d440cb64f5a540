// kds-set-compression: choose how new batches of a stream are compressed.
#include "common/cli.h"
#include "kds/compression.h"
#include "kds/stream_settings.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, codec;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-set-compression",
      "Compress a stream's new batches with zstd (or stop); existing batches stay as they are.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("CODEC", codec, kCompressionForms);
        add_store_option(app, &store_option);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { codec = operand; });
        if (codec.empty()) throw UsageError("CODEC is required: zstd, zstd:LEVEL or none");
        const auto level = parse_compression(codec);
        if (!level) throw UsageError("CODEC: '" + codec + "' is not " + kCompressionForms);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        if (auto set = set_compression(*store, stream, *level); !set.ok()) return fail(set.error());
        return static_cast<int>(kExitOk);
      });
}
