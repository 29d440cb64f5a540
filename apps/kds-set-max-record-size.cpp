// kds-set-max-record-size: the largest record a stream takes (Kinesis's UpdateMaxRecordSize).
#include "common/cli.h"
#include "common/text.h"
#include "kds/stream_settings.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, size_text;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-set-max-record-size",
      "Set the largest record (partition key and data) a stream takes, from 1M to 10M.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("SIZE", size_text, "1M..10M in whole KiB (1024K..10240K)");
        add_store_option(app, &store_option);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { size_text = operand; });
        if (size_text.empty()) throw UsageError("SIZE is required: 1M..10M");
        const auto kib = parse_size_kib(size_text);
        if (!kib) throw UsageError("SIZE: '" + size_text + "' is not a size in whole KiB (e.g. 2M, 1536K)");
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        if (auto set = set_max_record_size(*store, stream, *kib); !set.ok()) return fail(set.error());
        return static_cast<int>(kExitOk);
      });
}
