// kds-merge-shards: merge two adjacent open shards into one child.
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "common/remote.h"
#include "kds/api/operations.h"
#include "kds/api/shapes.h"
#include "kds/remote/streams.h"

using namespace kds;
using namespace kds::cli;

namespace {

int merge_remote(remote::Client& client, api::MergeShardsRequest request, const std::string& output,
                 bool no_wait) {
  request.shard_to_merge = remote::full_shard_id(*request.shard_to_merge);
  request.adjacent_shard_to_merge = remote::full_shard_id(*request.adjacent_shard_to_merge);
  auto merged =
      remote::change_stream(client, "MergeShards", request.to_json(), *request.stream.name, no_wait);
  if (!merged.ok()) return fail(merged.error());
  return no_wait ? kExitOk : print_children(client, *request.stream.name, *request.shard_to_merge, output);
}

}  // namespace

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, shard, adjacent, output = "text";
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-merge-shards",
      "Merge SHARD_ID with ADJACENT_SHARD_ID, whose hash-key range starts right after it; print the child.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("SHARD_ID", shard, "The lower shard of the pair");
        app.add_option("ADJACENT_SHARD_ID", adjacent, "The shard whose range starts where SHARD_ID's ends");
        add_output_option(app, &output);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream = resolve_stream(*app_ptr, stream_name, [&](std::string operand) {
          adjacent = shard;
          shard = operand;
        });
        if (shard.empty() || adjacent.empty())
          throw UsageError("SHARD_ID and ADJACENT_SHARD_ID are required");
        api::MergeShardsRequest request;
        request.stream.name = stream;
        request.shard_to_merge = shard;
        request.adjacent_shard_to_merge = adjacent;
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) return merge_remote(**client, request, output, no_wait);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        auto child = api::merge_shards(api_context(*store, &reporter), request);
        if (!child.ok()) return fail(child.error());
        Output& out = Output::standard();
        if (output == "json") {
          auto opened = store->open_stream(stream);
          if (!opened.ok()) return fail(opened.error());
          nlohmann::ordered_json children = nlohmann::ordered_json::array();
          children.push_back(api::child_shard_json(*opened->meta().find_shard(*child)));
          out.write(nlohmann::ordered_json{{"ChildShards", children}}.dump(4) + "\n");
        } else {
          out.write(shard_id_string(*child) + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
