#include "record_reading.h"

#include "kds/errors.h"
#include "output.h"

namespace kds::cli {

void LimitedPrinter::print(uint32_t shard_index, const ReadRecord& record) {
  Output& out = Output::standard();
  printer_.print(output_record(stream_.name(), shard_index, record), &out.buffer());
  out.end_record();
  if (remaining_ > 0) --remaining_;
}

Status print_by_sequence_numbers(const Stream& stream, const std::vector<std::string>& numbers,
                                 LimitedPrinter& printer, Reporter* reporter) {
  std::vector<ReadRecord> records;
  for (const auto& text : numbers) {
    KDS_ASSIGN(SequencePosition position, parse_sequence_number(text, "sequenceNumber"));
    const ShardMeta* shard = stream.meta().find_shard(position.shard_index);
    if (shard == nullptr) return record_not_found(stream.name(), text);
    KDS_ASSIGN(ShardReader reader, stream.open_reader(shard->index, reporter));
    KDS_TRY(reader.seek_offset(position.offset));
    KDS_ASSIGN(bool found, reader.next_batch(&records, 1));
    if (!found || records.front().offset != position.offset) return record_not_found(stream.name(), text);
    printer.print(shard->index, records.front());
  }
  return {};
}

Status print_in_order(const Stream& stream, const std::vector<ShardStart>& plan, LimitedPrinter& printer,
                      Reporter* reporter) {
  std::vector<ReadRecord> records;
  for (const ShardStart& start : plan) {
    if (printer.done()) break;
    KDS_ASSIGN(ShardReader reader, open_reader(stream, start, reporter));
    while (!printer.done()) {
      KDS_ASSIGN(bool more, reader.next_batch(&records));
      if (!more) break;
      for (const auto& record : records) {
        printer.print(start.shard_index, record);
        if (printer.done()) break;
      }
    }
  }
  return {};
}

}  // namespace kds::cli
