// kds-stop-stream-encryption: store a stream's new batches unencrypted.
#include "common/cli.h"
#include "kds/stream_settings.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-stop-stream-encryption",
      "Store a stream's new batches unencrypted; reading older encrypted batches still needs their key.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        add_store_option(app, &store_option);
      },
      [&] {
        const std::string stream = resolve_stream(*app_ptr, stream_name);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        if (auto stopped = stop_encryption(*store, stream); !stopped.ok()) return fail(stopped.error());
        return static_cast<int>(kExitOk);
      });
}
