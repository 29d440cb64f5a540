// kds-get's reading: records by sequence number, or in order from a plan, printed up to a limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kds/report.h"
#include "kds/shard_reader.h"
#include "kds/status.h"
#include "kds/store.h"
#include "read_position.h"
#include "record_printer.h"

namespace kds::cli {

// Prints records to standard output until `limit` of them are printed (0: no limit).
class LimitedPrinter {
 public:
  // `stream` must outlive the printer.
  LimitedPrinter(const Stream& stream, RecordPrinter printer, int64_t limit)
      : stream_(stream), printer_(std::move(printer)), remaining_(limit > 0 ? limit : -1) {}

  bool done() const { return remaining_ == 0; }
  void print(uint32_t shard_index, const ReadRecord& record);

 private:
  const Stream& stream_;
  RecordPrinter printer_;
  int64_t remaining_;
};

// Prints the records named by sequence numbers, in the order given; a number that names no stored
// record fails with ResourceNotFoundException after those before it were printed.
Status print_by_sequence_numbers(const Stream& stream, const std::vector<std::string>& numbers,
                                 LimitedPrinter& printer, Reporter* reporter);

// Prints the records of each shard of `plan` from its start, shard by shard, until the printer is done.
Status print_in_order(const Stream& stream, const std::vector<ShardStart>& plan, LimitedPrinter& printer,
                      Reporter* reporter);

}  // namespace kds::cli
