// kds-split-shard: split an open shard into two children at a hash key (the midpoint by default).
#include <fmt/format.h>

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

// SplitShard on an endpoint, at the midpoint of the shard's range unless a key is given (Kinesis needs one).
int split_remote(remote::Client& client, api::SplitShardRequest request, const std::string& output,
                 bool no_wait) {
  const std::string& stream = *request.stream.name;
  request.shard_to_split = remote::full_shard_id(*request.shard_to_split);
  if (!request.new_starting_hash_key) {
    auto described = remote::describe_stream(client, stream);
    if (!described.ok()) return fail(described.error());
    request.new_starting_hash_key =
        remote::midpoint_hash_key((*described)["StreamDescription"]["Shards"], *request.shard_to_split);
    if (!request.new_starting_hash_key) {
      // AWS's text, with the account the stream's ARN names.
      const std::string arn = remote::text_member((*described)["StreamDescription"], "StreamARN");
      return fail(Error(Errc::kResourceNotFound,
                        fmt::format("Could not find shard {} in stream {} under account {}.",
                                    *request.shard_to_split, stream, remote::account_of_arn(arn))));
    }
  }
  auto split = remote::change_stream(client, "SplitShard", request.to_json(), stream, no_wait);
  if (!split.ok()) return fail(split.error());
  return no_wait ? kExitOk : print_children(client, stream, *request.shard_to_split, output);
}

}  // namespace

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, shard, key, output = "text";
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-split-shard", "Split an open shard into two children; print their shard ids.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("SHARD_ID", shard, "The shard to split (shardId-000000000001, or just 1)");
        app.add_option("--new-starting-hash-key", key,
                       "First hash key of the upper child (default: (start + end) / 2 of the shard's range)")
            ->type_name("HASH");
        add_output_option(app, &output);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { shard = operand; });
        if (shard.empty()) throw UsageError("SHARD_ID is required");
        api::SplitShardRequest request;
        request.stream.name = stream;
        request.shard_to_split = shard;
        if (app_ptr->count("--new-starting-hash-key") > 0) request.new_starting_hash_key = key;
        request.midpoint_when_absent = true;
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) return split_remote(**client, request, output, no_wait);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        auto split = api::split_shard(api_context(*store, &reporter), request);
        if (!split.ok()) return fail(split.error());
        auto opened = store->open_stream(stream);
        if (!opened.ok()) return fail(opened.error());
        Output& out = Output::standard();
        if (output == "json") {
          nlohmann::ordered_json children = nlohmann::ordered_json::array();
          for (uint32_t index : {split->lower, split->upper}) {
            children.push_back(api::child_shard_json(*opened->meta().find_shard(index)));
          }
          out.write(nlohmann::ordered_json{{"ChildShards", children}}.dump(4) + "\n");
        } else {
          out.write(shard_id_string(split->lower) + "\n" + shard_id_string(split->upper) + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
