// The minimum throughput billing commitment (account_settings.h): Kinesis's transitions, account.json and
// the two operations over it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "api_fixture.h"
#include "kds/account_settings.h"
#include "test_util.h"

using nlohmann::json;
using namespace kds;
using namespace kds::api;
using kds_test::ApiFixture;
using kds_test::read;

TEST_CASE("billing commitment: a day at least, an early disable waits for it, enabling again cancels it") {
  constexpr int64_t kDay = kCommitmentMinimumMs;
  const BillingCommitment off;
  CHECK(off.status == "DISABLED");
  CHECK(off.updated(false, 5).status == "DISABLED");

  const BillingCommitment on = off.updated(true, 1000);
  CHECK(on.status == "ENABLED");
  CHECK(on.started_ms == 1000);
  CHECK(on.earliest_end_ms == 1000 + kDay);
  CHECK_FALSE(on.ended_ms.has_value());
  CHECK(on.updated(true, 2000).started_ms == 1000);  // enabling what is on changes nothing

  const BillingCommitment pending = on.updated(false, 2000);
  CHECK(pending.status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  CHECK(pending.ended_ms == 1000 + kDay);
  CHECK(pending.at(1000 + kDay - 1).status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  CHECK(pending.at(1000 + kDay).status == "DISABLED");
  CHECK(pending.at(1000 + kDay).ended_ms == 1000 + kDay);

  const BillingCommitment kept = pending.updated(true, 3000);
  CHECK(kept.status == "ENABLED");
  CHECK(kept.started_ms == 1000);
  CHECK_FALSE(kept.ended_ms.has_value());

  const BillingCommitment late = on.updated(false, 1000 + 2 * kDay);
  CHECK(late.status == "DISABLED");
  CHECK(late.ended_ms == 1000 + 2 * kDay);
  const BillingCommitment again = pending.updated(true, 1000 + kDay + 5);  // the day passed: a new one
  CHECK(again.status == "ENABLED");
  CHECK(again.started_ms == 1000 + kDay + 5);
}

TEST_CASE("account settings: kept in account.json, described and updated through the API") {
  ApiFixture f;
  auto describe = [&] {
    auto response = describe_account_settings(f.context, DescribeAccountSettingsRequest{});
    REQUIRE(response.ok());
    return json::parse(response->to_json().dump())["MinimumThroughputBillingCommitment"];
  };
  CHECK(describe() == json({{"Status", "DISABLED"}}));
  auto request =
      read<UpdateAccountSettingsRequest>({{"MinimumThroughputBillingCommitment", {{"Status", "ENABLED"}}}});
  REQUIRE(request.ok());
  auto updated = update_account_settings(f.context, *request);
  REQUIRE(updated.ok());
  const json answer = json::parse(updated->to_json().dump())["MinimumThroughputBillingCommitment"];
  CHECK(answer["Status"] == "ENABLED");
  CHECK(answer["EarliestAllowedEndAt"].get<double>() - answer["StartedAt"].get<double>() == 86400.0);
  CHECK(describe() == answer);
  CHECK(kds_test::read_bytes(f.dir.path() + "/account.json").find("\"Status\": \"ENABLED\"") !=
        std::string::npos);
  CHECK(f.error_of<UpdateAccountSettingsRequest>(
            {{"MinimumThroughputBillingCommitment", {{"Status", "DISABLED"}}}}, update_account_settings) ==
        "");
  CHECK(describe()["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
  CHECK(
      f.error_of<UpdateAccountSettingsRequest>(json::object(), update_account_settings) ==
      "ValidationException: 1 validation error detected: Value null at 'minimumThroughputBillingCommitment' "
      "failed to satisfy constraint: Member must not be null");
  CHECK(f.error_of<UpdateAccountSettingsRequest>({{"MinimumThroughputBillingCommitment", {{"Status", "ON"}}}},
                                                 update_account_settings)
            .starts_with("ValidationException: 1 validation error detected: Value 'ON' at "
                         "'minimumThroughputBillingCommitment.status'"));
  kds_test::write_bytes(f.dir.path() + "/account.json", "{\"FormatVersion\":1}");
  auto damaged = describe_account_settings(f.context, DescribeAccountSettingsRequest{});
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.error().code() == Errc::kCorruption);
  CHECK(damaged.error().message().starts_with(f.dir.path() + "/account.json: not valid account settings"));
}
