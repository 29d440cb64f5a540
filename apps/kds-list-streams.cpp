// kds-list-streams: the streams of the store, sorted by name.
#include <nlohmann/json.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "kds/store.h"

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
        auto names = store->list_streams();
        if (!names.ok()) return fail(names.error());
        Output& out = Output::standard();
        if (output == "json") {
          nlohmann::ordered_json doc;
          doc["StreamNames"] = *names;
          doc["HasMoreStreams"] = false;
          out.write(doc.dump(4) + "\n");
        } else {
          for (const auto& name : *names) out.write(name + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
