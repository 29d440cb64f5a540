#include "remote_read.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "cli.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/remote/reader.h"
#include "kds/remote/streams.h"
#include "kds/remote/subscriber.h"
#include "output.h"
#include "stop_signal.h"

namespace kds::cli {

namespace {

using remote::RemoteRecord;
using remote::StreamReader;
using Clock = std::chrono::steady_clock;

// A shard at its end is asked again after this long: within Kinesis's 5 GetRecords per second per shard,
// as KCL's 1 s default is, and quick enough to follow a terminal.
constexpr auto kPollInterval = std::chrono::milliseconds(250);
// kds-tail -n N looks for the last N records in the last minute, hour and day, then in everything.
constexpr int64_t kLastRecordWindowsMs[] = {60'000, 3'600'000, 86'400'000};

remote::IteratorStart iterator_start(const api::StreamReadRequest& request) {
  return {request.iterator_type, request.sequence_number.value_or(""), request.timestamp_ms};
}

void print(const RecordPrinter& printer, const std::string& stream, const RemoteRecord& record) {
  Output& out = Output::standard();
  printer.print({stream, 0, 0, record.arrival_ms, record.key, record.data, record.encrypted, record.shard_id,
                 record.sequence_number},
                &out.buffer());
  out.end_record();
}

// Reads every shard in scope to its end (children once their parents are read), passing each record on.
Status read_to_end(StreamReader& reader, const StreamReader::RecordFunction& on_record) {
  for (;;) {
    bool all_at_end = true;
    for (const std::string& id : reader.ready()) {
      if (reader.at_end(id)) continue;
      all_at_end = false;
      KDS_TRY(reader.read(id, 0, on_record));
    }
    if (all_at_end) return {};
  }
}

// Waits up to `wait`; true when standard output's reader has gone (`kds-tail s | head -1`).
bool wait_or_broken(Clock::duration wait) {
  pollfd watch{STDOUT_FILENO, 0, 0};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  const int ready = ::poll(&watch, 1, static_cast<int>(std::max<int64_t>(ms, 1)));
  return ready > 0 && (watch.revents & (POLLERR | POLLHUP)) != 0;
}

// The last `count` records of `shards` (each in sequence order), merged by arrival time: a shard's records
// keep their order even where their arrival times do not ascend.
std::vector<RemoteRecord> last_by_arrival(std::map<std::string, std::deque<RemoteRecord>> shards,
                                          uint64_t count) {
  std::vector<RemoteRecord> merged;
  for (;;) {
    std::deque<RemoteRecord>* next = nullptr;
    for (auto& [id, records] : shards)
      if (!records.empty() && (next == nullptr || records.front().arrival_ms < next->front().arrival_ms))
        next = &records;
    if (next == nullptr) break;
    merged.push_back(std::move(next->front()));
    next->pop_front();
  }
  if (merged.size() > count) merged.erase(merged.begin(), merged.end() - static_cast<ptrdiff_t>(count));
  return merged;
}

// kds-tail -n N: a reader positioned after the window that holds the last `count` records, which are
// passed to `take`.
Result<StreamReader> take_last(remote::Client& client, const std::string& stream, const RemoteRead& read,
                               uint64_t count, bool follow_children,
                               const StreamReader::RecordFunction& take) {
  KDS_ASSIGN(const auto shards, StreamReader::list_shards(client, stream));
  for (size_t window = 0;; ++window) {
    remote::IteratorStart start;  // TRIM_HORIZON after the last window
    const bool widest = window == std::size(kLastRecordWindowsMs);
    if (!widest) start = {"AT_TIMESTAMP", "", now_ms() - kLastRecordWindowsMs[window]};
    KDS_ASSIGN(StreamReader reader,
               StreamReader::open(client, stream, shards, start, read.shard, follow_children));
    std::map<std::string, std::deque<RemoteRecord>> last;  // the last `count` of each shard
    uint64_t found = 0;
    KDS_TRY(read_to_end(reader, [&](const RemoteRecord& record) {
      auto& records = last[record.shard_id];
      records.push_back(record);
      if (records.size() > count) records.pop_front();
      ++found;
      return true;
    }));
    if (found < count && !widest) continue;
    for (const RemoteRecord& record : last_by_arrival(std::move(last), count))
      if (!take(record)) break;
    return reader;
  }
}

// kds-tail's failures: a request that SIGINT or SIGTERM cut short ends the tool by that signal, quietly.
int fail_unless_stopped(const Error& error) {
  if (stop_signal() != 0) die_of(stop_signal());
  return fail(error);
}

// kds-tail --consumer: follows the shards on from `positions` through SubscribeToShard as `consumer`.
int follow_subscribed(remote::Client& client, const std::string& stream, const std::string& consumer,
                      std::vector<remote::ShardPosition> positions, bool follow_children,
                      const remote::Subscriber::RecordFunction& take, const std::function<bool()>& more) {
  auto summary = remote::describe_stream_summary(client, stream);
  if (!summary.ok()) return fail_unless_stopped(summary.error());
  auto arn = remote::use_consumer(client, remote::text_member(*summary, "StreamARN"), consumer);
  if (!arn.ok()) return fail_unless_stopped(arn.error());
  remote::Subscriber subscriber(client.target(), *arn, std::move(positions), follow_children);
  Output& out = Output::standard();
  for (;;) {
    const Status polled = subscriber.poll(kPollInterval, take);
    out.flush();
    if (stop_signal() != 0) die_of(stop_signal());
    if (!polled.ok()) return fail(polled.error());
    if (!more() || subscriber.finished()) return kExitOk;
    if (wait_or_broken(Clock::duration::zero())) die_of(SIGPIPE);
  }
}

}  // namespace

Result<RemoteRead> remote_read(const CLI::App& app, const std::string& shard_id, const StartOptions& start,
                               bool with_start) {
  RemoteRead read;
  if (app.count("--shard-id") > 0) read.shard = remote::full_shard_id(shard_id);
  if (with_start) {
    KDS_ASSIGN(read.request, read_request(app, start, std::nullopt));
  }
  return read;
}

int get_remote(remote::Client& client, const std::string& stream, const std::vector<std::string>& numbers,
               const RemoteRead& read, int64_t limit, const RecordPrinter& printer) {
  int64_t remaining = limit > 0 ? limit : -1;
  auto take = [&](const RemoteRecord& record) {
    if (remaining == 0) return false;
    print(printer, stream, record);
    if (remaining > 0) --remaining;
    return true;
  };
  std::optional<nlohmann::ordered_json> shards;  // described once for all the numbers
  for (const std::string& number : numbers) {
    if (!shards) {
      auto listed = StreamReader::list_shards(client, stream);
      if (!listed.ok()) return fail(listed.error());
      shards = std::move(listed).value();
    }
    // Only the endpoint knows which shard holds a number; every shard refusing it means no record has it.
    auto reader =
        StreamReader::open(client, stream, *shards, {"AT_SEQUENCE_NUMBER", number, {}}, std::nullopt, false);
    if (!reader.ok() && reader.error().code() == Errc::kInvalidArgument)
      return fail(record_not_found(stream, number));
    if (!reader.ok()) return fail(reader.error());
    const auto ready = reader->ready();
    if (ready.empty()) return fail(record_not_found(stream, number));
    const std::string& shard = ready.front();
    bool found = false;
    // A read may come back empty before the record (AWS's GetRecords does): read on to the shard's end.
    while (!found && !reader->at_end(shard)) {
      auto got = reader->read(shard, 1, [&](const RemoteRecord& record) {
        found = record.sequence_number == number;
        return !found || take(record);
      });
      if (!got.ok()) return fail(got.error());
      if (*got > 0 && !found) break;  // the shard's next record is another one
    }
    Output::standard().flush();
    if (!found) return fail(record_not_found(stream, number));
  }
  if (!numbers.empty()) return kExitOk;

  // Without --shard-id, the lineage of every shard; shard by shard, parents first, as local kds-get.
  auto reader = StreamReader::open(client, stream, iterator_start(read.request), read.shard, !read.shard);
  if (!reader.ok()) return fail(reader.error());
  std::set<std::string> done;
  while (remaining != 0) {
    const auto ready = reader->ready();
    const auto next =
        std::find_if(ready.begin(), ready.end(), [&](const auto& id) { return !done.contains(id); });
    if (next == ready.end()) break;
    do {
      const int batch = remaining > 0 ? static_cast<int>(std::min<int64_t>(remaining, 10000)) : 0;
      auto got = reader->read(*next, batch, take);
      Output::standard().flush();
      if (!got.ok()) return fail(got.error());
    } while (!reader->at_end(*next) && remaining != 0);
    done.insert(*next);
  }
  Output::standard().flush();
  return kExitOk;
}

int tail_remote(remote::Client& client, const std::string& stream, const RemoteRead& read,
                const std::optional<LinesOption>& lines, bool follow_children, int64_t count,
                const std::optional<std::string>& consumer, const RecordPrinter& printer) {
  install_stop_handlers();
  client.stop_when([] { return stop_signal() != 0; });
  Output& out = Output::standard();
  int64_t printed = 0;
  auto more = [&] { return !(count > 0 && printed >= count) && stop_signal() == 0; };
  // -n +K: records passed over in each shard there was at the start (later shards are read whole).
  std::map<std::string, uint64_t> passed_over;
  auto take = [&](const RemoteRecord& record) {
    if (!more()) return false;
    if (const auto skip = passed_over.find(record.shard_id);
        skip != passed_over.end() && skip->second + 1 < lines->count) {
      ++skip->second;
      return true;
    }
    print(printer, stream, record);
    ++printed;
    return true;
  };

  // -n N looks back for the last N records; -n 0 starts at the newest, -n +K at the oldest (the request's
  // default, TRIM_HORIZON).
  const bool last_records = lines && !lines->from_record && lines->count > 0;
  remote::IteratorStart start = iterator_start(read.request);
  if (lines && !lines->from_record && lines->count == 0) start.type = "LATEST";
  // Subscriptions start at LATEST themselves: no iterators to fix it beforehand.
  auto reader = last_records ? take_last(client, stream, read, lines->count, follow_children, take)
                             : StreamReader::open(client, stream, start, read.shard, follow_children,
                                                  /*fix_latest=*/!consumer);
  if (!reader.ok()) return fail_unless_stopped(reader.error());
  if (lines && lines->from_record)
    for (const std::string& id : reader->shards())
      passed_over[id] = 0;
  if (consumer) {
    out.flush();
    return follow_subscribed(client, stream, *consumer, reader->positions(), follow_children, take, more);
  }
  std::map<std::string, Clock::time_point> next_poll;  // of shards found at their end
  for (;;) {
    out.flush();  // never wait with records in the buffer
    if (count > 0 && printed >= count) return kExitOk;
    if (stop_signal() != 0) die_of(stop_signal());
    if (reader->finished()) return kExitOk;
    auto wake = Clock::now() + kPollInterval;
    bool behind = false;  // a shard has more to read at once
    for (const std::string& id : reader->ready()) {
      const auto now = Clock::now();
      if (auto due = next_poll.find(id); due != next_poll.end() && due->second > now) {
        wake = std::min(wake, due->second);
        continue;
      }
      auto got = reader->read(id, 0, take);
      if (!got.ok()) {
        out.flush();
        return fail_unless_stopped(got.error());
      }
      if (reader->at_end(id)) {
        next_poll[id] = now + kPollInterval;
      } else {
        next_poll.erase(id);
        behind = true;
      }
      if (!more()) break;
    }
    for (const std::string& id : reader->ready())
      if (!next_poll.contains(id)) behind = true;  // a child whose parents have just been read
    out.flush();
    if (!behind && more() && wait_or_broken(wake - Clock::now())) die_of(SIGPIPE);
  }
}

}  // namespace kds::cli
