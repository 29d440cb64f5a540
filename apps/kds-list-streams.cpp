// kds-list-streams: the streams of the store, sorted by name.
#include "common/cli.h"
#include "common/output.h"
#include "kds/api/operations.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  std::string store_option;
  std::string output = "text";
  return run(
      argc, argv, "kds-list-streams", "List the streams of the store, one name per line.",
      [&](CLI::App& app) {
        add_output_option(app, &output);
        add_store_option(app, &store_option);
      },
      [&] {
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        // Every page, as `aws kinesis list-streams` pages through them.
        api::ListStreamsRequest request;
        api::ListStreamsResponse all;
        for (;;) {
          auto page = api::list_streams(api_context(*store, nullptr), request);
          if (!page.ok()) return fail(page.error());
          for (auto& meta : page->streams)
            all.streams.push_back(std::move(meta));
          if (!page->has_more_streams) break;
          request.next_token = page->next_token;
        }
        Output& out = Output::standard();
        if (output == "json") {
          out.write(all.to_json().dump(4) + "\n");
        } else {
          for (const auto& meta : all.streams)
            out.write(meta.name + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
