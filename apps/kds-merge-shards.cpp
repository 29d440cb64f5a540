// kds-merge-shards: merge two adjacent open shards into one child.
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "kds/api/operations.h"
#include "kds/api/shapes.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, shard, adjacent, output = "text";
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
      },
      [&] {
        const std::string stream = resolve_stream(*app_ptr, stream_name, [&](std::string operand) {
          adjacent = shard;
          shard = operand;
        });
        if (shard.empty() || adjacent.empty())
          throw UsageError("SHARD_ID and ADJACENT_SHARD_ID are required");
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        StderrReporter reporter;
        api::MergeShardsRequest request;
        request.stream.name = stream;
        request.shard_to_merge = shard;
        request.adjacent_shard_to_merge = adjacent;
        auto child = api::merge_shards({&*store, {}, {}, &reporter, nullptr}, request);
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
