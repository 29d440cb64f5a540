// kds-get: print records of a stream, by sequence number or in order from an iterator position.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "common/cli.h"
#include "common/output.h"
#include "common/read_position.h"
#include "common/record_printer.h"
#include "kds/errors.h"
#include "kds/shard_reader.h"

using namespace kds;
using namespace kds::cli;

namespace {

struct Options {
  std::string store;
  StreamName stream;
  std::vector<std::string> sequence_numbers;
  std::string shard_id;
  StartOptions start;
  int64_t limit = 0;
  RecordOutputOptions output;
  std::vector<std::string> key_files;
};

class Printer {
 public:
  Printer(const Stream& stream, RecordPrinter printer, int64_t limit)
      : stream_(stream), printer_(std::move(printer)), remaining_(limit > 0 ? limit : -1) {}

  bool done() const { return remaining_ == 0; }

  void print(uint32_t shard_index, const ReadRecord& record) {
    Output& out = Output::standard();
    printer_.print({stream_.name(), shard_index, record.offset, record.arrival_ms, record.key, record.data,
                    record.encrypted},
                   &out.buffer());
    out.end_record();
    if (remaining_ > 0) --remaining_;
  }

 private:
  const Stream& stream_;
  RecordPrinter printer_;
  int64_t remaining_;
};

// Prints the records named by sequence numbers, in the order given.
int get_by_sequence_numbers(const Stream& stream, const Options& options, Printer& printer,
                            StderrReporter& reporter) {
  for (const auto& text : options.sequence_numbers) {
    auto position = parse_sequence_number(text, "sequenceNumber");
    if (!position.ok()) return fail(position.error());
    const ShardMeta* shard = stream.meta().find_shard(position->shard_index);
    if (shard == nullptr) return fail(record_not_found(stream.name(), text));
    auto reader = stream.open_reader(shard->index, &reporter);
    if (!reader.ok()) return fail(reader.error());
    if (auto sought = reader->seek_offset(position->offset); !sought.ok()) return fail(sought.error());
    std::vector<ReadRecord> records;
    auto more = reader->next_batch(&records, 1);
    if (!more.ok()) return fail(more.error());
    if (!*more || records.front().offset != position->offset)
      return fail(record_not_found(stream.name(), text));
    printer.print(shard->index, records.front());
  }
  return kExitOk;
}

int get_in_order(const Stream& stream, const Options& options, const CLI::App& app, Printer& printer,
                 StderrReporter& reporter) {
  auto shard = shard_option(app, stream, options.shard_id);
  if (!shard.ok()) return fail(shard.error());
  auto plan = plan_read(stream, app, options.start, *shard);
  if (!plan.ok()) return fail(plan.error());
  std::vector<ReadRecord> records;
  for (const ShardStart& start : *plan) {
    if (printer.done()) break;
    auto reader = open_reader(stream, start, &reporter);
    if (!reader.ok()) return fail(reader.error());
    for (;;) {
      auto more = reader->next_batch(&records);
      if (!more.ok()) return fail(more.error());
      if (!*more) break;
      for (const auto& record : records) {
        printer.print(start.shard_index, record);
        if (printer.done()) break;
      }
      if (printer.done()) break;
    }
  }
  return kExitOk;
}

int get(const CLI::App& app, Options& options) {
  const std::string stream_name = resolve_stream(app, options.stream, [&](std::string operand) {
    options.sequence_numbers.insert(options.sequence_numbers.begin(), operand);
  });
  RecordPrinter record_printer = RecordPrinter::from_options(app, options.output);
  if (options.output.unbuffered) Output::standard().set_line_buffered(true);
  if (app.count("--limit") > 0 && options.limit < 1) {
    return fail(validation_error(
        {{std::to_string(options.limit), "limit", "Member must have value greater than or equal to 1"}}));
  }
  const bool by_number = !options.sequence_numbers.empty();
  if (by_number && (app.count("--shard-id") > 0 || has_start_options(app))) {
    throw UsageError("SEQUENCE_NUMBER operands cannot be combined with --shard-id or iterator options");
  }
  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto stream = open_stream_for_reading(*store, stream_name, options.key_files);
  if (!stream.ok()) return fail(stream.error());
  StderrReporter reporter;
  Printer printer(*stream, std::move(record_printer), options.limit);
  const int status = by_number ? get_by_sequence_numbers(*stream, options, printer, reporter)
                               : get_in_order(*stream, options, app, printer, reporter);
  if (status == kExitOk && reporter.found_damage()) return kExitCorruption;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-get",
      "Print records of a stream: by sequence number, or in order from a starting position.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &options.stream);
        app.add_option("SEQUENCE_NUMBER", options.sequence_numbers,
                       "Print the records with these sequence numbers");
        app.add_option("--shard-id", options.shard_id,
                       "Read only this shard (default: every shard, parents first)")
            ->type_name("ID");
        add_start_options(app, &options.start);
        app.add_option("--limit", options.limit, "Stop after N records")->type_name("N");
        add_record_output_options(app, &options.output);
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
      },
      [&] { return get(*app_ptr, options); });
}
