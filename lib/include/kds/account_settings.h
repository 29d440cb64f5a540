// The account-level settings Kinesis keeps (DescribeAccountSettings, UpdateAccountSettings): today only
// the minimum throughput billing commitment. A local store bills nothing, but programs that manage the
// setting should see it behave as Kinesis's does, so the store keeps it in `account.json` at its root
// (docs/format.md §1), changed under an flock of `account.lock`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "kds/status.h"
#include "kds/store.h"

namespace kds {

inline constexpr int64_t kCommitmentMinimumMs = 24 * 3600 * 1000;  // a commitment lasts at least a day

struct BillingCommitment {
  // ENABLED, DISABLED, or ENABLED_UNTIL_EARLIEST_ALLOWED_END (a disable asked for before the day was up).
  std::string status = "DISABLED";
  std::optional<int64_t> started_ms;
  std::optional<int64_t> ended_ms;
  std::optional<int64_t> earliest_end_ms;

  // The commitment as it stands at `now_ms`: a pending disable whose time has come is DISABLED.
  BillingCommitment at(int64_t now_ms) const;
  // Kinesis's transitions for an UpdateAccountSettings to ENABLED or DISABLED at `now_ms`: enabling starts a
  // day-long commitment (or cancels a pending disable); disabling ends it, at once when the day is up,
  // else at its earliest allowed end.
  BillingCommitment updated(bool enable, int64_t now_ms) const;
};

struct AccountSettings {
  BillingCommitment commitment;

  std::string to_json() const;
  static Result<AccountSettings> from_json(std::string_view text, std::string_view path);
};

// The settings as last written; the defaults when the store has none.
Result<AccountSettings> read_account_settings(const Store& store);
// Under the store's account lock: reads, lets `change` edit, replaces account.json atomically unless
// `change` fails.
Status change_account_settings(const Store& store, const std::function<Status(AccountSettings&)>& change);

}  // namespace kds
