// kds-split-shard: split an open shard into two children at a hash key (the midpoint by default).
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "kds/api/operations.h"
#include "kds/api/shapes.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, shard, key, output = "text";
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
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { shard = operand; });
        if (shard.empty()) throw UsageError("SHARD_ID is required");
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        api::SplitShardRequest request;
        request.stream.name = stream;
        request.shard_to_split = shard;
        if (app_ptr->count("--new-starting-hash-key") > 0) request.new_starting_hash_key = key;
        request.midpoint_when_absent = true;
        auto split = api::split_shard({&*store, {}, {}, &reporter, nullptr}, request);
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
