// PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: a stream's or a consumer's policy document,
// checked to be a JSON policy and kept in the stream's attributes.json. kds has no IAM, so a policy is
// stored and returned, never enforced (kds-serve(1) says so).
#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "common.h"
#include "kds/errors.h"

namespace kds::api {

namespace {

// IAM's limit for a resource-based policy, which Kinesis's share.
constexpr size_t kMaxPolicyBytes = 20480;

// kds's texts: kinesis.md gives none for a malformed policy.
Status check_policy(const std::string& policy) {
  if (policy.size() > kMaxPolicyBytes) {
    return Error(Errc::kInvalidArgument,
                 fmt::format("The policy is {} bytes long; a resource policy has at most {} bytes.",
                             policy.size(), kMaxPolicyBytes));
  }
  const auto document = nlohmann::json::parse(policy, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return Error(Errc::kInvalidArgument, "The policy is not a JSON object: a policy document is one.");
  }
  if (!document.contains("Statement")) {
    return Error(Errc::kInvalidArgument, "The policy has no Statement: a policy document needs one.");
  }
  return {};
}

}  // namespace

Result<PutResourcePolicyRequest> PutResourcePolicyRequest::from_json(Body body) {
  JsonReader reader(body);
  PutResourcePolicyRequest request;
  request.resource_arn = reader.string("ResourceARN");
  request.policy = reader.string("Policy");
  return finish_reading(reader, std::move(request));
}

Status put_resource_policy(const Context& context, const PutResourcePolicyRequest& request) {
  Validator validator;
  validate_resource_arn(validator, request.resource_arn);
  validator.required("policy", request.policy.has_value());
  KDS_TRY(validator.finish());
  KDS_TRY(check_policy(*request.policy));
  return change_resource(context, *request.resource_arn, [&](Resource& resource) -> Status {
    *resource.policy = *request.policy;
    return {};
  });
}

Result<ResourcePolicyRequest> ResourcePolicyRequest::from_json(Body body) {
  JsonReader reader(body);
  ResourcePolicyRequest request;
  request.resource_arn = reader.string("ResourceARN");
  return finish_reading(reader, std::move(request));
}

ordered_json GetResourcePolicyResponse::to_json() const {
  return {{"Policy", policy}};
}

Result<GetResourcePolicyResponse> get_resource_policy(const Context& context,
                                                      const ResourcePolicyRequest& request) {
  Validator validator;
  validate_resource_arn(validator, request.resource_arn);
  KDS_TRY(validator.finish());
  GetResourcePolicyResponse response;
  KDS_TRY(read_resource(context, *request.resource_arn, [&](const Resource& resource) {
    // Kinesis answers an empty document when no policy is attached (Policy is a required member).
    response.policy = resource.policy->empty() ? std::string("{}") : *resource.policy;
  }));
  return response;
}

Status delete_resource_policy(const Context& context, const ResourcePolicyRequest& request) {
  Validator validator;
  validate_resource_arn(validator, request.resource_arn);
  KDS_TRY(validator.finish());
  return change_resource(context, *request.resource_arn, [](Resource& resource) -> Status {
    resource.policy->clear();
    return {};
  });
}

}  // namespace kds::api
