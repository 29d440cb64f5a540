// kds-update-shard-count: scale a stream to N open shards of equal size through splits and merges.
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "common/remote.h"
#include "common/text.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"

using namespace kds;
using namespace kds::cli;

namespace {

// UpdateShardCount's answer (with OpenShardIds, as locally) and the open shards once the stream is ACTIVE;
// with --no-wait the answer alone, as the shards are not known yet.
int update_remote(remote::Client& client, const api::UpdateShardCountRequest& request,
                  const std::string& output, bool no_wait) {
  const std::string& stream = *request.stream.name;
  auto updated = remote::change_stream(client, "UpdateShardCount", request.to_json(), stream, no_wait);
  if (!updated.ok()) return fail(updated.error());
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  if (!no_wait) {
    auto described = remote::describe_stream(client, stream);
    if (!described.ok()) return fail(described.error());
    for (const auto& shard : remote::open_in_hash_order((*described)["StreamDescription"]["Shards"]))
      ids.push_back(remote::text_member(shard, "ShardId"));
    (*updated)["OpenShardIds"] = ids;
  }
  Output& out = Output::standard();
  if (output == "json") {
    out.write(updated->dump(4) + "\n");
  } else {
    for (const auto& id : ids)
      out.write(id.get<std::string>() + "\n");
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, output = "text", target_text;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-update-shard-count",
      "Scale a stream to N open shards of equal size; print the open shard ids in hash-key order.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("N", target_text, "Target number of open shards, 1..10000");
        app.add_option("--target-shard-count", target_text, "Same as N")->type_name("N");
        add_output_option(app, &output);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { target_text = operand; });
        if (app_ptr->count("N") > 0 && app_ptr->count("--target-shard-count") > 0) {
          throw UsageError("give the target once, as N or as --target-shard-count");
        }
        if (target_text.empty()) throw UsageError("the target shard count N is required");
        const auto parsed = parse_integer(target_text);
        if (!parsed) throw UsageError("N: '" + target_text + "' is not a whole number");
        api::UpdateShardCountRequest request;
        request.stream.name = stream;
        request.target_shard_count = *parsed;
        request.scaling_type = "UNIFORM_SCALING";
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) return update_remote(**client, request, output, no_wait);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        auto updated = api::update_shard_count(api_context(*store, &reporter), request);
        if (!updated.ok()) return fail(updated.error());
        Output& out = Output::standard();
        if (output == "json") {
          nlohmann::ordered_json doc = updated->to_json();
          // Not an AWS member: the shards the stream now has, so scripts need no second call.
          nlohmann::ordered_json ids = nlohmann::ordered_json::array();
          for (uint32_t index : updated->open_shards)
            ids.push_back(shard_id_string(index));
          doc["OpenShardIds"] = std::move(ids);
          out.write(doc.dump(4) + "\n");
        } else {
          for (uint32_t index : updated->open_shards)
            out.write(shard_id_string(index) + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
