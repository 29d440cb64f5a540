// A bounded memo from partition keys to what a producer derived from them (routing hash, destination).
//
// Keys repeat (users, hosts, sessions) and MD5 costs ~100 ns a key, so a producer looks each key up here
// first. Open addressing with linear probing, one 64-byte entry per key, so a lookup usually touches one
// cache line; a 64-bit tag is compared before the key so that probing past other keys costs no memcmp.
// The table doubles to stay at most half full (at 3/4, the extra probes of linear probing cost 15 % of
// kds-put -K's time: scripts/bench-core), up to kMaxEntries (4 MiB); a half-full table of that size starts
// over empty, so memory stays bounded whatever the number of distinct keys.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kds/bytes.h"

namespace kds {

template <typename Value>
class KeyMemo {
 public:
  static constexpr size_t kMinEntries = 1024;
  static constexpr size_t kMaxEntries = 65536;

  // The value remembered for `key`, or null. Valid until the next insert or clear.
  Value* find(std::string_view key) {
    if (entries_.empty()) return nullptr;
    Entry* entry = probe(key, tag_of(key));
    return entry->tag == 0 ? nullptr : &entry->value;
  }

  // Remembers `value` for `key`, which find() did not find. Returns the stored copy, valid until the next
  // insert or clear.
  Value& insert(std::string_view key, const Value& value) {
    if (entries_.empty()) entries_.resize(kMinEntries);
    if (used_ + 1 > entries_.size() / 2) make_room();
    const uint64_t tag = tag_of(key);
    Entry* entry = probe(key, tag);
    entry->tag = tag;
    entry->key.assign(key);
    entry->value = value;
    ++used_;
    return entry->value;
  }

  // Forgets every key (their values no longer hold).
  void clear() {
    entries_.clear();
    used_ = 0;
  }

  size_t size() const { return used_; }

 private:
  struct alignas(64) Entry {
    uint64_t tag = 0;  // 0: empty
    std::string key;
    Value value{};
  };
  static_assert(sizeof(Entry) == 64, "one entry per cache line: Value must be at most 24 bytes");

  static uint64_t tag_of(std::string_view key) { return std::hash<std::string_view>{}(key) | 1; }

  // The entry holding `key`, else the empty entry where it would go.
  Entry* probe(std::string_view key, uint64_t tag) {
    const size_t mask = entries_.size() - 1;
    for (size_t i = tag & mask;; i = (i + 1) & mask) {
      Entry& entry = entries_[i];
      if (entry.tag == 0 || (entry.tag == tag && equal_bytes(entry.key, key))) return &entry;
    }
  }

  void make_room() {
    if (entries_.size() >= kMaxEntries) {
      clear();
      entries_.resize(kMinEntries);
      return;
    }
    std::vector<Entry> old(entries_.size() * 2);
    old.swap(entries_);
    for (Entry& entry : old) {
      if (entry.tag == 0) continue;
      Entry* slot = probe(entry.key, entry.tag);
      *slot = std::move(entry);
    }
  }

  std::vector<Entry> entries_;
  size_t used_ = 0;
};

}  // namespace kds
