// kds-fsck: check every batch, index and piece of metadata of streams; with --repair, mend what is found.
#include <unistd.h>

#include <fmt/format.h>

#include "common/cli.h"
#include "common/output.h"
#include "kds/fsck.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  std::string store_option;
  std::vector<std::string> streams;
  bool repair = false;
  bool gc = false;
  bool quiet = false;
  std::vector<std::string> key_files;
  return run(
      argc, argv, "kds-fsck",
      "Check streams on disk: every batch's CRC and place, every index, each closed shard's end, the "
      "metadata.",
      [&](CLI::App& app) {
        app.add_option("STREAM", streams, "Streams to check (default: every stream of the store)");
        app.add_flag("--repair", repair,
                     "Truncate torn tails, quarantine damaged bytes (never dropped), rebuild indexes, remove "
                     "leftovers");
        app.add_flag("--gc", gc,
                     "Remove leftovers of interrupted operations (temporary files, unlisted shards)");
        app.add_flag("-q,--quiet", quiet, "Print problems only, no summary");
        add_key_option(app, &key_files);
        add_store_option(app, &store_option);
      },
      [&] {
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        if (streams.empty()) {
          auto names = store->list_streams();
          if (!names.ok()) return fail(names.error());
          streams = *names;
        }
        Output& out = Output::standard();
        FsckOptions options;
        // With keys, encrypted batches are authenticated too; without, their CRCs are still checked.
        auto keys = load_keys(key_files, true);
        if (!keys.ok()) return fail(keys.error());
        options.keys = std::move(keys).value();
        options.repair = repair;
        options.gc = gc;
        options.on_problem = [&](const FsckProblem& p) {
          const std::string where = p.shard.empty() ? p.stream : p.stream + " " + p.shard;
          out.write(fmt::format("{}{}{}: byte {}: {}{}\n", where, where.empty() ? "" : ": ", p.path,
                                p.position, p.what, p.repaired ? " [repaired]" : ""));
          out.end_record();
        };
        // Progress only where a person watches it: a terminal, and not with -q.
        const bool progress = !quiet && ::isatty(STDERR_FILENO) == 1;
        std::string current;
        uint64_t last_shown = 0;
        options.on_progress = [&](uint64_t done, uint64_t) {
          if (!progress || done - last_shown < (64u << 20)) return;
          last_shown = done;
          fmt::print(stderr, "\rkds-fsck: {}: {} MiB checked", current, done >> 20);
        };
        FsckTotals totals;
        if (auto leftovers = fsck_store_leftovers(*store, options, &totals); !leftovers.ok()) {
          return fail(leftovers.error());
        }
        for (const auto& stream : streams) {
          current = stream;
          if (auto checked = fsck_stream(*store, stream, options, &totals); !checked.ok())
            return fail(checked.error());
        }
        if (progress && last_shown > 0) fmt::print(stderr, "\r\033[K");
        out.flush();
        if (!quiet) {
          const auto counted = [](uint64_t n, std::string_view one, std::string_view many) {
            return fmt::format("{} {}", n, n == 1 ? one : many);
          };
          print_error(fmt::format(
              "{}, {}, {}, {}, {}, {} checked: {}{}", counted(streams.size(), "stream", "streams"),
              counted(totals.shards, "shard", "shards"), counted(totals.segments, "segment", "segments"),
              counted(totals.batches, "batch", "batches"), counted(totals.records, "record", "records"),
              counted(totals.bytes, "byte", "bytes"), counted(totals.problems, "problem", "problems"),
              repair || gc ? fmt::format(", {} repaired", totals.repaired) : ""));
        }
        return totals.problems > 0 ? static_cast<int>(kExitCorruption) : static_cast<int>(kExitOk);
      });
}
