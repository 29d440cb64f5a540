// kds-delete-stream: remove a stream and all its records.
#include "common/cli.h"
#include "kds/api/operations.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  std::string store_option;
  StreamName stream_name;
  bool enforce_consumer_deletion = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-delete-stream", "Delete a stream and every record in it.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        add_store_option(app, &store_option);
        app.add_flag("--enforce-consumer-deletion", enforce_consumer_deletion,
                     "Delete the stream even when consumers are registered with it (they go too)");
      },
      [&] {
        const std::string stream = resolve_stream(*app_ptr, stream_name);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        api::DeleteStreamRequest request;
        request.stream.name = stream;
        request.enforce_consumer_deletion = enforce_consumer_deletion;
        auto deleted = api::delete_stream(api_context(*store, nullptr), request);
        if (!deleted.ok()) return fail(deleted.error());
        return static_cast<int>(kExitOk);
      });
}
