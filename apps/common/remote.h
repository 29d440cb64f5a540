// Remote mode of the tools (kds(7), REMOTE MODE): --endpoint and its companions, and the refusal of
// options a Kinesis endpoint has no operation for.
#pragma once

#include <CLI/CLI.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "kds/remote/client.h"
#include "kds/remote/target.h"
#include "kds/status.h"

namespace kds::cli {

// --endpoint URL|aws, --region, --profile and --ca-bundle.
void add_remote_options(CLI::App& app, remote::RemoteOptions* options);
// --no-wait: return once the endpoint accepted a change, not when the stream is ACTIVE again (or gone).
void add_no_wait_option(CLI::App& app, bool* no_wait);

// A client when --endpoint or $KDS_ENDPOINT asks for remote mode, else nullopt (local mode).
Result<std::optional<remote::Client>> remote_client(const remote::RemoteOptions& options);

// In remote mode: throws UsageError for the first option of `local_only` given, with its reason
// ({"--max-bytes", "a size cap of the local store"} → "--max-bytes: a size cap of the local store,
// which a Kinesis endpoint has no operation for; leave it out with --endpoint").
void refuse_local_only(const CLI::App& app,
                       std::initializer_list<std::pair<const char*, const char*>> local_only);

// `--key-id KEY`: the KMS key of Start- and StopStreamEncryption on an endpoint.
void add_key_id_option(CLI::App& app, std::string* key_id);
// Start- or StopStreamEncryption (`operation`) on an endpoint with `key_id`, then waiting unless `no_wait`.
int change_encryption(remote::Client& client, std::string_view operation, const std::string& stream,
                      const std::string& key_id, bool no_wait);

// After a split or a merge of `parent`: prints the shards it became, as the local tools print theirs (ids
// one per line, or {"ChildShards": [...]} with --output json).
int print_children(remote::Client& client, const std::string& stream, const std::string& parent,
                   const std::string& output);

}  // namespace kds::cli
