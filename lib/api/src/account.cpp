// DescribeAccountSettings and UpdateAccountSettings: the minimum throughput billing commitment, kept by
// account_settings.h with Kinesis's transitions (a commitment lasts at least a day; a disable asked for
// sooner takes effect at its earliest allowed end; enabling again before then cancels it).
#include "common.h"
#include "kds/account_settings.h"
#include "kds/api/shapes.h"
#include "kds/clock.h"

namespace kds::api {

namespace {

ordered_json commitment_json(const BillingCommitment& commitment) {
  ordered_json out = {{"Status", commitment.status}};
  if (commitment.started_ms) out["StartedAt"] = epoch_seconds(*commitment.started_ms);
  if (commitment.ended_ms) out["EndedAt"] = epoch_seconds(*commitment.ended_ms);
  if (commitment.earliest_end_ms) out["EarliestAllowedEndAt"] = epoch_seconds(*commitment.earliest_end_ms);
  return out;
}

}  // namespace

Result<DescribeAccountSettingsRequest> DescribeAccountSettingsRequest::from_json(Body body) {
  JsonReader reader(body);
  return finish_reading(reader, DescribeAccountSettingsRequest{});
}

ordered_json AccountSettingsResponse::to_json() const {
  return {{"MinimumThroughputBillingCommitment", commitment_json(commitment)}};
}

Result<AccountSettingsResponse> describe_account_settings(const Context& context,
                                                          const DescribeAccountSettingsRequest&) {
  KDS_ASSIGN(AccountSettings settings, read_account_settings(*context.store));
  return AccountSettingsResponse{settings.commitment.at(now_ms())};
}

Result<UpdateAccountSettingsRequest> UpdateAccountSettingsRequest::from_json(Body body) {
  JsonReader reader(body);
  UpdateAccountSettingsRequest request;
  if (auto commitment = reader.structure("MinimumThroughputBillingCommitment")) {
    request.commitment_given = true;
    JsonReader inner(*commitment);
    request.commitment_status = inner.string("Status");
    if (!inner.status().ok()) return inner.status().error();
  }
  return finish_reading(reader, std::move(request));
}

Result<AccountSettingsResponse> update_account_settings(const Context& context,
                                                        const UpdateAccountSettingsRequest& request) {
  Validator validator;
  validator.required("minimumThroughputBillingCommitment", request.commitment_given);
  if (request.commitment_given) {
    validator.enumeration("minimumThroughputBillingCommitment.status", request.commitment_status, true,
                          {"ENABLED", "DISABLED"});
  }
  KDS_TRY(validator.finish());
  AccountSettingsResponse response;
  KDS_TRY(change_account_settings(*context.store, [&](AccountSettings& settings) -> Status {
    settings.commitment = settings.commitment.updated(*request.commitment_status == "ENABLED", now_ms());
    response.commitment = settings.commitment;
    return {};
  }));
  return response;
}

}  // namespace kds::api
