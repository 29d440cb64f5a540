// PutRecord, PutRecords, GetShardIterator, GetRecords.
#include <fmt/format.h>

#include <algorithm>

#include "common.h"
#include "kds/api/producer_pool.h"
#include "kds/api/read_start.h"
#include "kds/api/shapes.h"
#include "kds/clock.h"
#include "kds/errors.h"
#include "kds/hash_key.h"
#include "kds/producer.h"
#include "kds/validate.h"

namespace kds::api {

namespace {

constexpr size_t kMaxPutRecordsEntries = 500;
constexpr int64_t kMaxGetRecordsLimit = 10000;
constexpr size_t kMaxGetRecordsBytes = 10 << 20;

// A record's members, checked in the order Kinesis checks them; `prefix` is "" for PutRecord and
// "records.N.member." for PutRecords' entries. The data's limit is the model's (10 MiB) until the stream
// is known; then it is the stream's maximum record size (oversized_data).
void validate_record(Validator& validator, const std::string& prefix, const std::optional<std::string>& data,
                     const std::optional<std::string>& key, const std::optional<std::string>& explicit_hash) {
  validator.string(prefix + "partitionKey", key, true, Pattern::kNone, 1, kMaxPartitionKeyChars);
  validator.string(prefix + "explicitHashKey", explicit_hash, false, Pattern::kHashKey, 0, 0);
  validator.blob(prefix + "data", data, true, kLargestRecordBytes);
}

// Data over the stream's maximum record size: the ValidationException of the model's limit, with the
// stream's (1048576 for a stream whose maximum was never raised, as Kinesis words it). `prefix` as above.
Status oversized_data(const std::string& prefix, const std::optional<std::string>& data, size_t max_bytes) {
  Validator validator;
  validator.blob(prefix + "data", data, true, max_bytes);
  return validator.finish();
}

// The routing hash a record asks for, and its size within the stream's maximum (after validation).
Result<std::optional<u128>> check_record(const std::optional<std::string>& data, const std::string& key,
                                         const std::optional<std::string>& explicit_hash, size_t max_bytes) {
  KDS_TRY(validate_record_size(key, data->size(), max_bytes));
  if (!explicit_hash) return std::optional<u128>();
  KDS_ASSIGN(u128 hash, parse_explicit_hash_key(*explicit_hash));
  return std::optional<u128>(hash);
}

// PutRecords' entries checked against the stream's maximum record size `max_bytes` (after validation),
// and the request's total size: each entry's routing hash.
Result<std::vector<std::optional<u128>>> check_entries(const std::vector<PutRecordsEntry>& entries,
                                                       size_t max_bytes) {
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].data->size() > max_bytes)
      return oversized_data(fmt::format("records.{}.member.", i + 1), entries[i].data, max_bytes);
  }
  size_t total = 0;
  std::vector<std::optional<u128>> hashes;
  hashes.reserve(entries.size());
  for (const auto& entry : entries) {
    KDS_ASSIGN(auto hash, check_record(entry.data, *entry.partition_key, entry.explicit_hash_key, max_bytes));
    hashes.push_back(hash);
    total += entry.data->size() + entry.partition_key->size();
  }
  // 5 MiB at the default maximum record size, 10 MiB once records may be larger than 1 MiB.
  const size_t limit_mb = max_bytes > kMaxRecordDataBytes ? 10 : 5;
  if (total > (limit_mb << 20))
    return Error(Errc::kInvalidArgument, fmt::format("Records size exceeds {} MB limit", limit_mb));
  return hashes;
}

// A producer for one request: from the context's pool, else opened for it alone.
Result<ProducerPool::Lease> lend_producer(const Context& context, const std::string& stream) {
  if (context.producers != nullptr) return context.producers->borrow(stream);
  KDS_ASSIGN(Producer producer,
             Producer::open(*context.store, stream, put_producer_options(context), context.reporter));
  return ProducerPool::Lease::alone(std::make_unique<Producer>(std::move(producer)));
}

// Kinesis takes the number as an exclusive minimum for the new record's; every number kds gives a key
// later is greater than any it gave that key before, so only numbers the stream never gave are refused.
Status check_ordering_number(const Stream& stream, const std::string& number) {
  const Error invalid(
      Errc::kInvalidArgument,
      fmt::format("ExclusiveMinimumSequenceNumber {} used in PutRecord on stream {} under account {} "
                  "is invalid.",
                  number, stream.name(), account_id()));
  auto parsed = parse_decimal_u128(number);
  if (!parsed) return invalid;
  auto position = split_sequence_number(*parsed);
  const ShardMeta* shard = position ? stream.meta().find_shard(position->shard_index) : nullptr;
  if (shard == nullptr) return invalid;
  KDS_ASSIGN(uint64_t end, shard_end_offset(stream, *shard));
  if (position->offset >= end) return invalid;
  return {};
}

PutRecordResponse response_for(const RecordAck& ack) {
  return {ack.shard_index, ack.offset, ack.encrypted};
}

}  // namespace

ProducerOptions put_producer_options(const Context& context) {
  ProducerOptions options;
  options.sync = context.sync;
  options.sync_interval_ms = context.sync_interval_ms;
  options.keys = context.keys;
  options.compress_on_worker = false;  // one request's records: no pipeline to fill
  return options;
}

Result<PutRecordRequest> PutRecordRequest::from_json(Body body) {
  JsonReader reader(body);
  PutRecordRequest request;
  request.sequence_number_for_ordering = reader.string("SequenceNumberForOrdering");
  request.partition_key = reader.string("PartitionKey");
  request.explicit_hash_key = reader.string("ExplicitHashKey");
  request.data = reader.blob("Data");
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

ordered_json PutRecordResponse::to_json() const {
  return {{"ShardId", shard_id_string(shard_index)},
          {"SequenceNumber", to_decimal(make_sequence_number(shard_index, offset))},
          {"EncryptionType", encrypted ? "KMS" : "NONE"}};
}

Result<PutRecordResponse> put_record(const Context& context, const PutRecordRequest& request) {
  Validator validator;
  validator.string("sequenceNumberForOrdering", request.sequence_number_for_ordering, false,
                   Pattern::kSequenceNumber, 0, 0);
  validate_record(validator, "", request.data, request.partition_key, request.explicit_hash_key);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  KDS_ASSIGN(auto producer, lend_producer(context, name));
  const size_t max_bytes = producer->stream().meta().max_record_bytes();  // as the loan found it
  auto hash = check_record(request.data, *request.partition_key, request.explicit_hash_key, max_bytes);
  if (!hash.ok()) {
    producer.keep();  // nothing was queued: the producer goes back to the pool
    return hash.error();
  }
  if (request.sequence_number_for_ordering) {
    // The stream as it is now: a pooled producer's view may predate a reshard.
    KDS_ASSIGN(Stream stream, context.store->open_stream(name));
    KDS_TRY(check_ordering_number(stream, *request.sequence_number_for_ordering));
  }
  KDS_TRY(producer->add(*request.partition_key, *request.data, *hash));
  std::optional<RecordAck> ack;
  KDS_TRY(producer->flush([&](const RecordAck& a) { ack = a; }));
  producer.keep();
  return response_for(*ack);
}

Result<PutRecordsRequest> PutRecordsRequest::from_json(Body body) {
  JsonReader reader(body);
  PutRecordsRequest request;
  if (auto list = reader.list("Records")) {
    request.records.emplace();
    for (Body item : *list) {
      if (item.is_null()) {
        request.records->push_back({});
        continue;
      }
      JsonReader entry(item);
      PutRecordsEntry record;
      record.partition_key = entry.string("PartitionKey");
      record.explicit_hash_key = entry.string("ExplicitHashKey");
      record.data = entry.blob("Data");
      if (!entry.status().ok()) return entry.status().error();
      request.records->push_back(std::move(record));
    }
  }
  request.stream = read_stream(reader);
  return finish_reading(reader, std::move(request));
}

std::string PutRecordsResponse::to_json_text() const {
  std::string out = fmt::format(R"({{"FailedRecordCount":{},"Records":[)", failed_record_count);
  out.reserve(out.size() + records.size() * 80 + 32);
  for (size_t i = 0; i < records.size(); ++i) {
    const PutRecordsResult& result = records[i];
    if (i > 0) out += ',';
    if (result.stored) {
      out += R"({"SequenceNumber":")";
      out += to_decimal(make_sequence_number(result.stored->shard_index, result.stored->offset));
      out += R"(","ShardId":")";
      out += shard_id_string(result.stored->shard_index);
    } else {
      out += R"({"ErrorCode":")";
      append_json_escaped(result.error_code, &out);
      out += R"(","ErrorMessage":")";
      append_json_escaped(result.error_message, &out);
    }
    out += "\"}";
  }
  out += encrypted ? R"(],"EncryptionType":"KMS"})" : R"(],"EncryptionType":"NONE"})";
  return out;
}

Result<PutRecordsResponse> put_records(const Context& context, const PutRecordsRequest& request) {
  Validator validator;
  if (!request.records) {
    validator.required("records", false);
  } else {
    const size_t count = request.records->size();
    validator.list_length("records", count, 1, kMaxPutRecordsEntries);
    for (size_t i = 0; i < count; ++i) {
      const auto& entry = (*request.records)[i];
      // Member names such as "records.17.member.data" are needed only for the failures: check first
      // without them (formatting 1,500 names cost a tenth of a PutRecords of 500 records).
      Validator unnamed;
      validate_record(unnamed, "", entry.data, entry.partition_key, entry.explicit_hash_key);
      if (unnamed.finish().ok()) continue;
      validate_record(validator, fmt::format("records.{}.member.", i + 1), entry.data, entry.partition_key,
                      entry.explicit_hash_key);
    }
  }
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  KDS_ASSIGN(auto producer, lend_producer(context, name));
  const size_t max_bytes = producer->stream().meta().max_record_bytes();  // as the loan found it
  auto checked = check_entries(*request.records, max_bytes);
  if (!checked.ok()) {
    producer.keep();  // nothing was queued: the producer goes back to the pool
    return checked.error();
  }
  const std::vector<std::optional<u128>>& hashes = *checked;
  std::vector<Producer::Input> inputs;
  inputs.reserve(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    const auto& entry = (*request.records)[i];
    inputs.push_back({*entry.partition_key, *entry.data, hashes[i]});
  }
  size_t added = 0;
  KDS_TRY(producer->add_many(inputs, &added));  // the keys of one request are hashed many at a time
  PutRecordsResponse response;
  const Status flushed = producer->flush([&](const RecordAck& ack) {
    response.records.push_back({response_for(ack), {}, {}});
    response.encrypted = response.encrypted || ack.encrypted;
  });
  if (flushed.ok()) producer.keep();
  if (!flushed.ok() && response.records.empty()) return flushed.error();
  while (response.records.size() < hashes.size()) {
    response.records.push_back({std::nullopt, "InternalFailure", "Internal Service Failure"});
    ++response.failed_record_count;
  }
  return response;
}

Result<GetShardIteratorRequest> GetShardIteratorRequest::from_json(Body body) {
  JsonReader reader(body);
  GetShardIteratorRequest request;
  request.shard_id = reader.string("ShardId");
  request.shard_iterator_type = reader.string("ShardIteratorType");
  request.starting_sequence_number = reader.string("StartingSequenceNumber");
  request.stream = read_stream(reader);
  request.timestamp_ms = reader.timestamp_ms("Timestamp");
  return finish_reading(reader, std::move(request));
}

ordered_json GetShardIteratorResponse::to_json() const {
  return {{"ShardIterator", shard_iterator}};
}

Result<GetShardIteratorResponse> get_shard_iterator(const Context& context,
                                                    const GetShardIteratorRequest& request) {
  Validator validator;
  validator.name("shardId", request.shard_id, true);
  validator.enumeration("shardIteratorType", request.shard_iterator_type, true, kIteratorTypes);
  validator.string("startingSequenceNumber", request.starting_sequence_number, false,
                   Pattern::kSequenceNumber, 0, 0);
  validate_stream(validator, request.stream);
  KDS_TRY(validator.finish());
  KDS_ASSIGN(std::string name, stream_name(request.stream));
  const auto index = parse_shard_id(*request.shard_id);
  if (!index) return shard_not_found(*request.shard_id, name);
  auto stream = context.store->open_stream(name);
  if (!stream.ok()) {
    if (stream.error().code() == Errc::kResourceNotFound) return shard_does_not_exist(*index, name);
    return stream.error();
  }
  KDS_ASSIGN(const ShardMeta* shard, stream->shard(*index));
  const std::string& type = *request.shard_iterator_type;
  const int64_t now = now_ms();
  KDS_TRY(check_iterator_arguments(type, request.starting_sequence_number.has_value(), request.timestamp_ms,
                                   now));
  GetShardIteratorResponse response;
  ShardIterator& position = response.position;
  position = {name, stream->meta().created_ms, *index, 0, now};
  if (type == "AT_TIMESTAMP") KDS_TRY(stream->use_keys(context.all_keys()));
  KDS_ASSIGN(position.offset, iterator_start_offset(*stream, *shard, type, request.starting_sequence_number,
                                                    request.timestamp_ms, context.reporter));
  response.shard_iterator = context.iterators->encode(position);
  return response;
}

Result<GetRecordsRequest> GetRecordsRequest::from_json(Body body) {
  JsonReader reader(body);
  GetRecordsRequest request;
  request.limit = reader.integer("Limit");
  request.shard_iterator = reader.string("ShardIterator");
  return finish_reading(reader, std::move(request));
}

ordered_json GetRecordsRequest::to_json() const {
  ordered_json out = ordered_json::object();
  put_member(&out, "ShardIterator", shard_iterator);
  put_member(&out, "Limit", limit);
  return out;
}

void append_records_json(uint32_t shard_index, const std::vector<StoredRecord>& records, std::string* out) {
  // Room for all of it at once (an answer runs to megabytes: growing it would copy them): the base64 of
  // the data, the key, and about 180 bytes of member names, sequence number and timestamp.
  size_t bytes = 0;
  for (const auto& record : records)
    bytes += record.key.size() + 4 * ((record.data.size() + 2) / 3) + 200;
  out->reserve(out->size() + bytes + 1024);
  *out += '[';
  for (size_t i = 0; i < records.size(); ++i) {
    const StoredRecord& record = records[i];
    if (i > 0) *out += ',';
    append_record_json(
        {shard_index, record.offset, record.arrival_ms, record.key, record.data, record.encrypted}, false,
        out);
  }
  *out += ']';
}

std::string child_shards_json(const std::vector<ShardMeta>& children) {
  ordered_json list = ordered_json::array();
  for (const auto& child : children)
    list.push_back(child_shard_json(child));
  return list.dump();
}

std::string GetRecordsResponse::to_json_text() const {
  std::string out = R"({"Records":)";
  append_records_json(shard_index, records, &out);
  if (next_shard_iterator) {
    out += R"(,"NextShardIterator":")";
    append_json_escaped(*next_shard_iterator, &out);
    out += '"';
  }
  out += fmt::format(R"(,"MillisBehindLatest":{})", millis_behind_latest);
  if (!child_shards.empty()) {
    out += R"(,"ChildShards":)";
    out += child_shards_json(child_shards);
  }
  out += '}';
  return out;
}

Result<GetRecordsResponse> get_records(const Context& context, const GetRecordsRequest& request) {
  Validator validator;
  validator.integer("limit", request.limit, false, 1, kMaxGetRecordsLimit);
  validator.string("shardIterator", request.shard_iterator, true, Pattern::kNone, 1, kMaxIteratorLength);
  KDS_TRY(validator.finish());
  const int64_t now = now_ms();
  KDS_ASSIGN(ShardIterator position, context.iterators->decode(*request.shard_iterator, now));
  KDS_ASSIGN(Stream stream, context.store->open_stream(position.stream));
  if (stream.meta().created_ms != position.stream_created_ms) return stream_not_found(position.stream);
  KDS_ASSIGN(const ShardMeta* shard, stream.shard(position.shard_index));
  KDS_TRY(stream.use_keys(context.all_keys()));
  KDS_ASSIGN(ShardReader reader, stream.open_reader(position.shard_index, context.reporter));
  KDS_TRY(reader.seek_offset(position.offset));

  GetRecordsResponse response;
  response.shard_index = position.shard_index;
  const auto limit = static_cast<size_t>(request.limit.value_or(kMaxGetRecordsLimit));
  size_t bytes = 0;
  bool drained = false;
  bool full = false;
  std::vector<ReadRecord> batch;
  while (!full && response.records.size() < limit && bytes < kMaxGetRecordsBytes) {
    KDS_ASSIGN(bool more, reader.next_batch(&batch, static_cast<uint32_t>(limit - response.records.size())));
    if (!more) {
      drained = true;
      break;
    }
    for (const ReadRecord& record : batch) {
      const size_t size = record.key.size() + record.data.size();
      if (!response.records.empty() && bytes + size > kMaxGetRecordsBytes) {
        // At most 10 MiB of records, or one record alone (a stream may take records of 10 MiB): the
        // rest of the batch is left for the next call.
        KDS_TRY(reader.seek_offset(record.offset));
        full = true;
        break;
      }
      bytes += size;
      response.records.push_back({record.offset, record.arrival_ms, record.encrypted, std::string(record.key),
                                  std::string(record.data)});
    }
  }
  const uint64_t next = reader.next_offset();
  if (shard->end_offset && next >= *shard->end_offset) {
    for (const auto& candidate : stream.meta().shards) {
      if (candidate.parent == shard->index || candidate.adjacent_parent == shard->index) {
        response.child_shards.push_back(candidate);
      }
    }
  } else {
    response.next_shard_iterator = context.iterators->encode(
        {position.stream, position.stream_created_ms, position.shard_index, next, now});
  }
  if (!drained && !response.records.empty()) {
    response.millis_behind_latest = std::max<int64_t>(0, now - response.records.back().arrival_ms);
  }
  return response;
}

}  // namespace kds::api
