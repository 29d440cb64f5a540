// kds-serve: the Kinesis API over HTTP on a store, for AWS SDKs, the AWS CLI and any Kinesis client.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/cli.h"
#include "common/put_loop.h"
#include "kds/api/aws_credentials.h"
#include "kds/api/kms_keys.h"
#include "kds/api/operations.h"
#include "kds/api/producer_pool.h"
#include "kds/api/shard_iterator.h"
#include "kds/errors.h"
#include "kds/serve/http_server.h"

using namespace kds;
using namespace kds::cli;

namespace {

struct Options {
  std::string store;
  std::vector<std::string> listen = {"127.0.0.1:4567"};
  std::string sync = "batch";
  // Under --sync batch a writing request holds its thread through its fdatasync; concurrent writers share
  // fdatasyncs only if each has a thread (16 writers: 1.5x the records/s of 4 threads on 2 CPUs).
  size_t threads = std::clamp(4 * std::thread::hardware_concurrency(), 16u, 1024u);
  std::vector<std::string> key_files;
  std::string region;  // default: $AWS_REGION, else us-east-1
  std::string account_id{kDefaultAccountId};
  std::string tls_cert;
  std::string tls_key;
  std::string credentials;  // empty: signatures are not verified
  std::string kms_keys;     // empty: ${XDG_CONFIG_HOME:-$HOME/.config}/kds/kms
  int64_t shard_limit = 10000;
  int64_t subscription_lifetime_s = 300;
  int64_t idle_timeout_s = 60;
};

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1";
}

// Where KMS keys are kept without --kms-keys (XDG's base directories); empty when neither variable says.
std::string default_kms_dir() {
  if (const char* config = std::getenv("XDG_CONFIG_HOME"); config != nullptr && config[0] == '/')
    return std::string(config) + "/kds/kms";
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0] == '/')
    return std::string(home) + "/.config/kds/kms";
  return {};
}

int run_server(Options& options) {
  ProducerOptions sync;
  parse_sync_mode(options.sync, &sync);
  if (options.region.empty()) {
    const char* from_environment = std::getenv("AWS_REGION");
    options.region = from_environment != nullptr && *from_environment != '\0' ? from_environment
                                                                              : std::string(kDefaultRegion);
  }
  if (!is_region(options.region)) {
    throw UsageError("--region: '" + options.region + "' is not a region name such as eu-west-1");
  }
  if (!is_account_id(options.account_id)) {
    throw UsageError("--account-id: '" + options.account_id + "' is not twelve digits");
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    throw UsageError("--tls-cert and --tls-key go together");
  }
  set_identity(options.region, options.account_id);  // before any thread starts
  raise_descriptor_limit();  // each connection, and each subscription's shard reader and inotify, takes some
  std::vector<serve::ListenAddress> addresses;
  for (const auto& text : options.listen) {
    auto address = serve::parse_listen_address(text);
    if (!address.ok()) throw UsageError("--listen: " + address.error().message());
    addresses.push_back(*address);
  }
  // The server, its TLS files and its addresses are checked before the store is opened, so that a bad
  // one leaves no trace there; the service reads the context only once requests arrive.
  std::optional<std::vector<api::AwsCredentials>> credentials;
  if (!options.credentials.empty()) {
    auto read = api::read_aws_credentials(options.credentials);
    if (!read.ok()) return fail(read.error());
    credentials = std::move(read).value();
  }
  if (options.kms_keys.empty()) options.kms_keys = default_kms_dir();
  std::unique_ptr<api::KmsKeys> kms;
  if (!options.kms_keys.empty()) {
    auto opened = api::KmsKeys::open(options.kms_keys);
    if (!opened.ok()) return fail(opened.error());
    kms = std::move(opened).value();
  }
  api::Context context;
  const serve::Service service(context, credentials, {.lifetime_ms = options.subscription_lifetime_s * 1000});
  serve::HttpServer server(service, {options.threads, std::chrono::seconds(options.idle_timeout_s)});
  if (!options.tls_cert.empty()) {
    if (auto tls = server.use_tls(options.tls_cert, options.tls_key); !tls.ok()) return fail(tls.error());
  }
  std::vector<std::string> urls;
  for (const auto& address : addresses) {
    auto url = server.listen(address);
    if (!url.ok()) return fail(url.error());
    urls.push_back(*url);
    if (!is_loopback(address.host) && !credentials) {
      fmt::print(
          stderr,
          "kds-serve: warning: {} is reachable from other machines, and without --credentials "
          "kds-serve does not verify signatures: anyone who reaches it can read and change the store\n",
          *url);
    }
  }

  auto store = open_store(options.store);
  if (!store.ok()) return fail(store.error());
  auto keys = load_keys(options.key_files, false);
  if (!keys.ok()) return fail(keys.error());
  auto iterators = api::IteratorCodec::open(*store);
  if (!iterators.ok()) return fail(iterators.error());
  StderrReporter reporter;
  context = api_context(*store, &reporter, std::move(keys).value());
  context.iterators = &*iterators;
  context.sync = sync.sync;
  context.sync_interval_ms = sync.sync_interval_ms;
  context.shard_limit = options.shard_limit;
  // A KeyId names a key file of the KMS key directory (kds-serve(1)).
  context.kms = kms.get();
  context.resolve_key = [&kms](std::string_view key_id) -> Result<Key> {
    if (kms) return kms->resolve(key_id);
    return Error::named(
        Errc::kInvalidArgument, "KMSNotFoundException",
        fmt::format("KeyId {} names no key: this server has no KMS key directory (--kms-keys; "
                    "neither XDG_CONFIG_HOME nor HOME is set)",
                    key_id));
  };
  api::ProducerPool producers(*store, api::put_producer_options(context), &reporter, kms.get());
  context.producers = &producers;
  for (const auto& url : urls)
    fmt::print("listening on {}\n", url);
  std::fflush(stdout);
  server.run();
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  return run(
      argc, argv, "kds-serve",
      "Serve the store's streams over the Kinesis API (HTTP/1.1 and HTTP/2, JSON 1.1 and CBOR 1.1) to AWS "
      "SDKs, the AWS CLI and other Kinesis clients.",
      [&](CLI::App& app) {
        app.add_option("--listen", options.listen,
                       "Address to listen on, HOST:PORT (repeatable; port 0 picks a free port; default "
                       "127.0.0.1:4567)")
            ->type_name("HOST:PORT")
            ->take_all();
        app.add_option(
               "--sync", options.sync,
               "When PutRecord(s) answer: batch (after fdatasync, the default), interval[:MS] (written, and "
               "fdatasync at least every MS ms, default 1000) or none (once written)")
            ->type_name("MODE");
        app.add_option("--threads", options.threads,
                       "Requests handled at once (default: 4 per CPU, at least 16)")
            ->type_name("N")
            ->check(CLI::Range(1, 1024));
        app.add_option("--region", options.region,
                       "Region in ARNs and messages (default: $AWS_REGION, else us-east-1)")
            ->type_name("REGION");
        app.add_option("--account-id", options.account_id,
                       "Account id in ARNs and messages, twelve digits (default: 000000000000)")
            ->type_name("ID");
        app.add_option("--shard-limit", options.shard_limit,
                       "The account's shard quota: open shards across the store (default: 10000)")
            ->type_name("N")
            ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
        app.add_option("--subscription-lifetime", options.subscription_lifetime_s,
                       "Seconds a SubscribeToShard event stream lasts before the client must subscribe "
                       "again (default: 300, as Kinesis)")
            ->type_name("SECONDS")
            ->check(CLI::Range(int64_t{1}, int64_t{86400}));
        app.add_option("--idle-timeout", options.idle_timeout_s,
                       "Seconds a connection may stay idle, or take to send a request, before it is closed "
                       "(default: 60)")
            ->type_name("SECONDS")
            ->check(CLI::Range(int64_t{1}, int64_t{86400}));
        app.add_option("--credentials", options.credentials,
                       "Verify SigV4 signatures against the keys of this AWS credentials file (default: any "
                       "credentials are accepted)")
            ->type_name("FILE");
        app.add_option("--tls-cert", options.tls_cert,
                       "Serve TLS (ALPN h2 and http/1.1) with this PEM certificate chain; with --tls-key")
            ->type_name("FILE");
        app.add_option("--tls-key", options.tls_key, "The PEM private key of --tls-cert")->type_name("FILE");
        app.add_option("--kms-keys", options.kms_keys,
                       "Directory of the key files StartStreamEncryption's KeyIds name (default: "
                       "${XDG_CONFIG_HOME:-$HOME/.config}/kds/kms)")
            ->type_name("DIR");
        add_key_option(app, &options.key_files);
        add_store_option(app, &options.store);
      },
      [&] { return run_server(options); });
}
