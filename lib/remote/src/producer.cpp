// The remote producer (producer.h): workers that take batches from one queue under one lock.
#include "kds/remote/producer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "answer.h"
#include "kds/api/shapes.h"
#include "kds/base64.h"
#include "kds/remote/client.h"
#include "kds/remote/streams.h"

namespace kds::remote {

namespace {

using Clock = std::chrono::steady_clock;

// PutRecords' limits (kinesis.md §5): a record larger than a request's 5 MiB (a stream with records of up
// to 10 MiB) goes alone.
constexpr size_t kMaxBatchRecords = 500;
constexpr size_t kMaxBatchBytes = 5 << 20;

struct KeyQueue;

struct Pending {
  uint64_t number = 0;
  PutEntry entry;
  KeyQueue* queue = nullptr;  // of the record's key
  int attempts = 0;
  Clock::time_point not_before{};
  size_t size() const { return entry.key.size() + entry.data.size(); }
};

// A partition key's records not stored yet.
struct KeyQueue {
  std::deque<Pending> waiting;  // in input order
  bool busy = false;            // one of them is in flight
};

// Entries an endpoint answers with an ErrorCode that another attempt may store.
bool retryable_entry(std::string_view code) {
  return code == "ProvisionedThroughputExceededException" || code == "InternalFailure" ||
         code == "KMSThrottlingException";
}

std::string request_body(const std::string& stream, const std::vector<Pending>& batch) {
  size_t estimate = 64 + 2 * stream.size();
  for (const Pending& pending : batch)
    estimate += 48 + 2 * pending.entry.key.size() + pending.entry.data.size() / 3 * 4 + 4 +
                pending.entry.explicit_hash_key.size();
  std::string body;
  body.reserve(estimate);  // one allocation, no copies as it grows
  body += "{\"StreamName\": \"";
  api::append_json_escaped(stream, &body);
  body += "\", \"Records\": [";
  for (size_t i = 0; i < batch.size(); ++i) {
    const PutEntry& entry = batch[i].entry;
    body += i == 0 ? "{\"Data\": \"" : ", {\"Data\": \"";
    base64_encode(entry.data, &body);
    body += "\", \"PartitionKey\": \"";
    api::append_json_escaped(entry.key, &body);
    if (!entry.explicit_hash_key.empty()) {
      body += "\", \"ExplicitHashKey\": \"";
      body += entry.explicit_hash_key;
    }
    body += "\"}";
  }
  body += "]}";
  return body;
}

}  // namespace

// The queue is kept per key: each key's records wait in input order, and `heads` holds, by number, the
// first record of every key that has none in flight. A batch is the oldest heads that are ready, so a key
// with many records waiting holds up no other key. A key is looked up once, when its record is added: the
// record then points to its key's queue (which stays while the key has a record waiting or in flight).
struct Producer::Shared {
  std::string stream;
  ProducerSettings settings;
  std::mutex mutex;
  std::condition_variable work_ready;              // workers wait for records they may send
  std::condition_variable space_ready;             // add() and drain() wait for records to be stored
  std::unordered_map<std::string, KeyQueue> keys;  // keys with records waiting or in flight
  std::map<uint64_t, KeyQueue*> heads;             // number → queue: keys whose first record may be sent
  size_t head_bytes = 0;                           // of the records in `heads`
  // From record `acknowledged` on, in order: stored (an acknowledgement) or not yet.
  std::deque<std::optional<PutAck>> unacknowledged;
  uint64_t added = 0;         // records added: the next record's number
  uint64_t acknowledged = 0;  // records acknowledged: the next to acknowledge
  size_t unstored = 0;        // records waiting or in flight
  size_t unstored_bytes = 0;
  size_t in_flight = 0;  // requests being answered
  std::optional<Error> failure;
  bool stopping = false;
  int event_fd = -1;
  std::atomic<bool> poll_due = false;  // set with event_fd, before it; poll() clears it
  std::mt19937_64 random{std::random_device{}()};

  ~Shared() {
    if (event_fd >= 0) ::close(event_fd);
  }

  void wake_poller() {
    poll_due = true;
    const uint64_t one = 1;
    while (::write(event_fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  void fail(Error error) {
    if (!failure) failure = std::move(error);
    wake_poller();
    work_ready.notify_all();
    space_ready.notify_all();
  }

  // The key's first waiting record, if any, may be sent now that none of the key's is in flight.
  void release(const Pending& done) {
    KeyQueue& queue = *done.queue;
    queue.busy = false;
    if (queue.waiting.empty())
      keys.erase(done.entry.key);
    else
      add_head(queue);
  }

  void add_head(KeyQueue& queue) {
    heads.emplace(queue.waiting.front().number, &queue);
    head_bytes += queue.waiting.front().size();
  }

  // Whether a worker should send what is ready now rather than wait for more: when no request is in
  // flight, or a full batch is ready. So while requests are answered, records gather into full batches
  // (a record added behind them waits at most one round trip), as KPL's buffering does with a timer.
  bool worth_sending() const {
    return in_flight == 0 || heads.size() >= kMaxBatchRecords || head_bytes >= kMaxBatchBytes;
  }

  // The oldest ready heads, one record per key. *wake_at: when a head held back by its backoff is ready.
  std::vector<Pending> take_batch(Clock::time_point* wake_at) {
    std::vector<Pending> batch;
    size_t bytes = 0;
    const auto now = Clock::now();
    *wake_at = Clock::time_point::max();
    for (auto it = heads.begin(); it != heads.end();) {
      KeyQueue& queue = *it->second;
      const Pending& head = queue.waiting.front();
      if (head.not_before > now) {
        *wake_at = std::min(*wake_at, head.not_before);
        ++it;
        continue;
      }
      if (!batch.empty() && (batch.size() == kMaxBatchRecords || bytes + head.size() > kMaxBatchBytes)) break;
      bytes += head.size();
      head_bytes -= head.size();
      queue.busy = true;
      batch.push_back(std::move(queue.waiting.front()));
      queue.waiting.pop_front();
      it = heads.erase(it);
    }
    return batch;
  }

  // A record that failed goes back to the front of its key's queue, after a backoff; or stops the producer.
  void retry(Pending pending, const Error& error) {
    if (++pending.attempts >= settings.max_attempts) {
      fail(Error::named(
          error.code(), std::string(error.name()),
          fmt::format("{} (a record not stored after {} attempts)", error.message(), pending.attempts)));
      return;
    }
    const int64_t cap = std::min<int64_t>(
        settings.max_delay_ms, int64_t{settings.base_delay_ms} << std::min(pending.attempts - 1, 20));
    std::uniform_int_distribution<int64_t> pick(0, cap);
    pending.not_before = Clock::now() + std::chrono::milliseconds(pick(random));
    KeyQueue& queue = *pending.queue;
    queue.waiting.push_front(std::move(pending));
    release(queue.waiting.front());
  }

  void store(const Pending& pending, PutAck ack) {
    --unstored;
    unstored_bytes -= pending.size();
    unacknowledged[pending.number - acknowledged] = std::move(ack);
    release(pending);
  }

  // Records the answer to a batch; called with the lock held.
  void settle(std::vector<Pending> batch, const Result<JsonElement>& answer) {
    std::optional<simdjson::dom::array> records;
    if (answer.ok()) {
      simdjson::dom::array found;
      if ((*answer)["Records"].get(found) == simdjson::SUCCESS) records = found;
    }
    if (!answer.ok()) {
      // The client retried throttling and unavailability already; the records' own attempts go on.
      const bool transient =
          answer.error().code() == Errc::kUnavailable || answer.error().code() == Errc::kThroughputExceeded;
      if (!transient) return fail(answer.error());
      for (auto& pending : batch)
        retry(std::move(pending), answer.error());
    } else if (!records || records->size() != batch.size()) {
      return fail(
          Error(Errc::kUnavailable, fmt::format("the answer to PutRecords has {} entries for {} records",
                                                records ? records->size() : 0, batch.size())));
    } else {
      const bool encrypted = text_of(*answer, "EncryptionType") == "KMS";
      size_t i = 0;
      for (JsonElement entry : *records) {
        Pending& pending = batch[i++];
        const std::string_view sequence_number = text_of(entry, "SequenceNumber");
        if (!sequence_number.empty()) {
          if (settings.acknowledgement_details)
            store(pending, {std::string(text_of(entry, "ShardId")), std::string(sequence_number), encrypted});
          else
            store(pending, {});
          continue;
        }
        const std::string code(text_of(entry, "ErrorCode"));
        const Error error =
            Error::named(errc_from_wire_type(code, 400), code, std::string(text_of(entry, "ErrorMessage")));
        if (!retryable_entry(code)) return fail(error);
        retry(std::move(pending), error);
      }
    }
    wake_poller();
    work_ready.notify_all();
    space_ready.notify_all();
  }

  void work(Client client) {
    simdjson::dom::parser parser;
    std::unique_lock lock(mutex);
    while (!stopping && !failure) {
      if (!worth_sending()) {
        work_ready.wait(lock);  // for an answer, or more records
        continue;
      }
      Clock::time_point wake_at;
      auto batch = take_batch(&wake_at);
      if (batch.empty()) {
        if (wake_at == Clock::time_point::max())
          work_ready.wait(lock);
        else
          work_ready.wait_until(lock, wake_at);
        continue;
      }
      ++in_flight;
      lock.unlock();
      const std::string body = request_body(stream, batch);
      const auto text = client.call_text("PutRecords", body);
      const Result<JsonElement> answer =
          text.ok() ? parse_answer(parser, *text, client, "PutRecords") : Result<JsonElement>(text.error());
      lock.lock();
      --in_flight;
      settle(std::move(batch), answer);
      space_ready.notify_all();  // drain() after a failure waits for the requests in flight
    }
  }

  // Moves the acknowledgements due out of `unacknowledged`; called with the lock held.
  std::vector<PutAck> take_acks() {
    std::vector<PutAck> acks;
    while (!unacknowledged.empty() && unacknowledged.front()) {
      acks.push_back(std::move(*unacknowledged.front()));
      unacknowledged.pop_front();
      ++acknowledged;
    }
    return acks;
  }
};

Producer::Producer(std::unique_ptr<Shared> shared) : shared_(std::move(shared)) {}

Result<std::unique_ptr<Producer>> Producer::open(const Target& target, std::string stream,
                                                 ProducerSettings settings) {
  auto shared = std::make_unique<Shared>();
  shared->stream = std::move(stream);
  shared->settings = settings;
  shared->event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared->event_fd < 0) return Error(Errc::kIo, fmt::format("eventfd: {}", std::strerror(errno)));
  std::vector<Client> clients;
  for (int i = 0; i < std::max(1, settings.connections); ++i) {
    KDS_ASSIGN(auto client, Client::open(target));
    clients.push_back(std::move(client));
  }
  std::unique_ptr<Producer> producer(new Producer(std::move(shared)));
  for (auto& client : clients)
    producer->workers_.emplace_back([shared = producer->shared_.get(), client = std::move(client)]() mutable {
      shared->work(std::move(client));
    });
  return producer;
}

Producer::~Producer() {
  {
    std::lock_guard lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->work_ready.notify_all();
  for (auto& worker : workers_)
    worker.join();
}

Status Producer::add(std::span<PutEntry> entries) {
  Shared& s = *shared_;
  std::unique_lock lock(s.mutex);
  size_t added_under_lock = 0;
  for (PutEntry& entry : entries) {
    // The lock is taken once for many records, but let go now and then for the workers.
    if (++added_under_lock % kMaxBatchRecords == 0) {
      lock.unlock();
      lock.lock();
    }
    s.space_ready.wait(lock, [&] {
      return s.failure ||
             (s.unstored < s.settings.max_queued_records && s.unstored_bytes < s.settings.max_queued_bytes);
    });
    if (s.failure) return *s.failure;
    KeyQueue& queue = s.keys[entry.key];
    Pending pending{s.added++, std::move(entry), &queue};
    ++s.unstored;
    s.unstored_bytes += pending.size();
    s.unacknowledged.emplace_back();
    // Only a record that can be sent at once is work: one behind its key's others wakes no worker.
    const bool sendable = queue.waiting.empty() && !queue.busy;
    queue.waiting.push_back(std::move(pending));
    if (sendable) {
      s.add_head(queue);
      s.work_ready.notify_one();
    }
  }
  return Status();
}

int Producer::wake_fd() const {
  return shared_->event_fd;
}

Status Producer::poll(const AckFunction& on_ack) {
  if (!shared_->poll_due.exchange(false)) return Status();
  return collect(on_ack);
}

Status Producer::collect(const AckFunction& on_ack) {
  uint64_t count = 0;
  (void)::read(shared_->event_fd, &count, sizeof count);  // clears it; EAGAIN when it was clear
  std::vector<PutAck> acks;
  std::optional<Error> failure;
  {
    std::lock_guard lock(shared_->mutex);
    acks = shared_->take_acks();
    failure = shared_->failure;
  }
  if (on_ack)
    for (const PutAck& ack : acks)
      on_ack(ack);
  return failure ? Status(*failure) : Status();
}

Status Producer::drain(const AckFunction& on_ack) {
  {
    std::unique_lock lock(shared_->mutex);
    // After a failure, the requests in flight are still answered, and what they stored acknowledged.
    shared_->space_ready.wait(
        lock, [&] { return shared_->unstored == 0 || (shared_->failure && shared_->in_flight == 0); });
  }
  return collect(on_ack);
}

uint64_t Producer::unacknowledged() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->added - shared_->acknowledged;
}

}  // namespace kds::remote
