// kds-delete-stream: remove a stream and all its records.
#include "common/cli.h"
#include "common/remote.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  std::string store_option;
  StreamName stream_name;
  bool enforce_consumer_deletion = false;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-delete-stream", "Delete a stream and every record in it.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        add_store_option(app, &store_option);
        app.add_flag("--enforce-consumer-deletion", enforce_consumer_deletion,
                     "Delete the stream even when consumers are registered with it (they go too)");
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        api::DeleteStreamRequest request;
        request.stream.name = resolve_stream(*app_ptr, stream_name);
        request.enforce_consumer_deletion = enforce_consumer_deletion;
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) {
          auto deleted = (*client)->call("DeleteStream", request.to_json());
          if (!deleted.ok()) return fail(deleted.error());
          if (no_wait) return static_cast<int>(kExitOk);
          const Status gone =
              remote::wait_for_stream(**client, *request.stream.name, remote::StreamGoal::kGone);
          return gone.ok() ? static_cast<int>(kExitOk) : fail(gone.error());
        }
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        auto deleted = api::delete_stream(api_context(*store, nullptr), request);
        if (!deleted.ok()) return fail(deleted.error());
        return static_cast<int>(kExitOk);
      });
}
