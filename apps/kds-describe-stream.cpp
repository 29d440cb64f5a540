// kds-describe-stream: a stream's settings and shards, as `aws kinesis describe-stream` shows them (JSON)
// or as a table for people (text, with per-shard record counts, bytes and arrival times).
#include "common/cli.h"
#include "common/output.h"
#include "common/remote.h"
#include "common/stream_report.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  std::string store_option;
  StreamName stream_name;
  std::string output = "text";
  remote::RemoteOptions remote_options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-describe-stream",
      "Show a stream's settings, shards, lineage and per-shard statistics.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        add_output_option(app, &output);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
      },
      [&] {
        const std::string stream_text = resolve_stream(*app_ptr, stream_name);
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) {
          auto described = output == "json" ? describe_remote_json(**client, stream_text)
                                            : describe_remote_text(**client, stream_text);
          if (!described.ok()) return fail(described.error());
          Output::standard().write(*described);
          return static_cast<int>(kExitOk);
        }
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        auto stream = store->open_stream(stream_text);
        if (!stream.ok()) return fail(stream.error());
        if (output == "json") {
          auto json = describe_json(*store, *stream);
          if (!json.ok()) return fail(json.error());
          Output::standard().write(*json);
        } else {
          auto text = describe_text(*stream);
          if (!text.ok()) return fail(text.error());
          Output::standard().write(*text);
        }
        return static_cast<int>(kExitOk);
      });
}
