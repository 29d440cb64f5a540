// How the library tells its caller about damage it found and repairs it made while it kept going.
#pragma once

#include <cstdint>
#include <string>

namespace kds {

struct DamageReport {
  std::string path;       // file holding the damage
  uint64_t position = 0;  // byte offset in that file
  uint64_t length = 0;    // bytes affected
  std::string what;       // e.g. "checksum mismatch; records 120..131 lost"
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  // Bytes that failed a check and were skipped; the data in them was not returned.
  virtual void damage(const DamageReport& report) = 0;
  // A change made to mend the log: a torn tail truncated (its bytes kept aside), a lost tail or a gap
  // marked as lost offsets.
  virtual void repaired(const DamageReport& report) = 0;
};

}  // namespace kds
