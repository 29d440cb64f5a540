// Fuzzes kds-put's input splitter: the records it returns, each followed by the delimiter, must rebuild
// the input exactly, none may hold the delimiter or exceed the maximum, and it must stop at a record that
// is too long as kds-put does.
//
// Input layout: byte 0 = delimiter length (1..4, low bits) and maximum record size (high bits), then
// the delimiter, then the input. The input's size modulo 5 picks next() (0) or next_group() with groups
// of at most that many records, whose numbering must match.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/record_splitter.h"
#include "fuzz_support.h"
#include "kds/file.h"

using kds::fuzz::fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t delimiter_size = 1 + (data[0] & 3);
  const size_t max_record = static_cast<size_t>(data[0] >> 2) * 3;
  if (size < 1 + delimiter_size) return 0;
  const std::string delimiter(reinterpret_cast<const char*>(data) + 1, delimiter_size);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1 + delimiter_size,
                               size - 1 - delimiter_size);

  kds::Fd fd(::memfd_create("kds-fuzz-input", MFD_CLOEXEC));
  if (!fd.valid()) fail("memfd_create failed");
  if (!input.empty() && ::write(fd.get(), input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    fail("short write to the memfd");
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) fail("lseek failed");

  kds::cli::RecordSplitter splitter(fd.get(), delimiter, max_record);
  std::string rebuilt;
  bool last_was_empty = false;
  const size_t group = size % 5;
  std::vector<std::string_view> records;
  uint64_t count = 0;
  for (;;) {
    records.clear();
    std::string_view one;
    auto event = group == 0 ? splitter.next(&one) : splitter.next_group(&records, group);
    if (group == 0 && event.ok() && *event == kds::cli::RecordSplitter::Event::kRecord)
      records.push_back(one);
    if (!event.ok()) fail("read error on a memfd");
    if (*event == kds::cli::RecordSplitter::Event::kPause) continue;
    if (*event == kds::cli::RecordSplitter::Event::kTooLong) {
      if (splitter.too_long_size() <= max_record) fail("a record within the maximum reported too long");
      if (input.substr(0, rebuilt.size()) != rebuilt)
        fail("records before a too-long one do not match the input");
      if (splitter.record_number() != count + 1) fail("a too-long record is not numbered after the others");
      return 0;
    }
    if (*event == kds::cli::RecordSplitter::Event::kEnd) break;
    if (*event != kds::cli::RecordSplitter::Event::kRecord) fail("unexpected event on a memfd");
    if (records.empty() || (group != 0 && records.size() > group)) fail("a group of the wrong size");
    for (std::string_view record : records) {
      if (record.size() > max_record) fail("record longer than the maximum");
      if (record.find(delimiter) != std::string_view::npos) fail("record holds the delimiter");
      rebuilt.append(record);
      rebuilt.append(delimiter);
      last_was_empty = record.empty();
    }
    count += records.size();
    if (splitter.record_number() != count) fail("record_number() is not that of the last record returned");
  }
  // A final record without a delimiter gets one in `rebuilt`; a delimiter at the very end must not make
  // an empty last record (which would also show as one delimiter too many).
  if (rebuilt != input && rebuilt != std::string(input) + delimiter) fail("records do not rebuild the input");
  if (rebuilt != input && last_was_empty) fail("a delimiter at the end made an empty last record");
  return 0;
}
