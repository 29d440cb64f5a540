#include "remote.h"

#include <fmt/format.h>

#include "cli.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"
#include "output.h"

namespace kds::cli {

void add_remote_options(CLI::App& app, remote::RemoteOptions* options) {
  app.add_option("--endpoint", options->endpoint,
                 "Send the requests to a Kinesis endpoint URL, or to AWS (aws) (default: $KDS_ENDPOINT)")
      ->type_name("URL|aws");
  app.add_option("--region", options->region,
                 "With --endpoint: the region to sign for (default: $AWS_REGION, the profile's, us-east-1)")
      ->type_name("REGION");
  app.add_option("--profile", options->profile,
                 "With --endpoint: the AWS CLI profile for credentials and settings (default: $AWS_PROFILE)")
      ->type_name("NAME");
  app.add_option("--ca-bundle", options->ca_bundle,
                 "With --endpoint: trust the CA certificates in FILE (default: $AWS_CA_BUNDLE, the system's)")
      ->type_name("FILE");
}

void add_no_wait_option(CLI::App& app, bool* no_wait) {
  app.add_flag("--no-wait", *no_wait,
               "With --endpoint: return once the change is accepted, not when the stream is ACTIVE again");
}

Result<std::optional<remote::Client>> remote_client(const remote::RemoteOptions& options) {
  KDS_ASSIGN(auto target, remote::resolve_target(options, remote::process_environment()));
  if (!target) {
    const std::pair<const char*, const std::string*> companions[] = {
        {"--region", &options.region}, {"--profile", &options.profile}, {"--ca-bundle", &options.ca_bundle}};
    for (const auto& [option, value] : companions)
      if (!value->empty()) throw UsageError(fmt::format("{} needs --endpoint (or KDS_ENDPOINT)", option));
    return std::optional<remote::Client>();
  }
  KDS_ASSIGN(auto client, remote::Client::open(std::move(*target)));
  return std::optional<remote::Client>(std::move(client));
}

void refuse_local_only(const CLI::App& app,
                       std::initializer_list<std::pair<const char*, const char*>> local_only) {
  for (const auto& [option, what] : local_only) {
    if (app.count(option) > 0) {
      throw UsageError(
          fmt::format("{}: {}, which a Kinesis endpoint has no operation for; leave it out with --endpoint",
                      option, what));
    }
  }
}

void add_key_id_option(CLI::App& app, std::string* key_id) {
  app.add_option("--key-id", *key_id,
                 "With --endpoint: the KMS key (id, ARN, alias name or alias ARN; default alias/aws/kinesis)")
      ->type_name("KEY");
}

int change_encryption(remote::Client& client, std::string_view operation, const std::string& stream,
                      const std::string& key_id, bool no_wait) {
  api::StreamEncryptionRequest request;
  request.stream.name = stream;
  request.encryption_type = "KMS";
  request.key_id = key_id;
  auto changed = remote::change_stream(client, operation, request.to_json(), stream, no_wait);
  return changed.ok() ? kExitOk : fail(changed.error());
}

int print_children(remote::Client& client, const std::string& stream, const std::string& parent,
                   const std::string& output) {
  auto described = remote::describe_stream(client, stream);
  if (!described.ok()) return fail(described.error());
  const auto children = remote::children_of((*described)["StreamDescription"]["Shards"], parent);
  Output& out = Output::standard();
  if (output == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& child : children)
      list.push_back(remote::child_shard(child));
    out.write(nlohmann::ordered_json{{"ChildShards", list}}.dump(4) + "\n");
  } else {
    for (const auto& child : children)
      out.write(remote::text_member(child, "ShardId") + "\n");
  }
  return kExitOk;
}

}  // namespace kds::cli
