// kds-start-stream-encryption: encrypt a stream's new batches with a key file's key.
#include "common/cli.h"
#include "common/remote.h"
#include "kds/api/operations.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option;
  std::vector<std::string> key_files;
  std::string key_id;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-start-stream-encryption",
      "Encrypt a stream's new batches (AES-256-GCM) with the key in a key file; existing batches stay as "
      "they are.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        add_key_option(app, &key_files);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_key_id_option(app, &key_id);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream = resolve_stream(*app_ptr, stream_name);
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) {
          refuse_local_only(*app_ptr,
                            {{"--encryption-key-file", "a local key file (give a KMS key with --key-id)"}});
          return change_encryption(**client, "StartStreamEncryption", stream,
                                   key_id.empty() ? "alias/aws/kinesis" : key_id, no_wait);
        }
        if (!key_id.empty())
          throw UsageError(
              "--key-id names a KMS key of a Kinesis endpoint: give it with --endpoint (a local "
              "stream's key is --encryption-key-file)");
        if (key_files.size() > 1) throw UsageError("--encryption-key-file: give one key");
        std::string key_file = key_files.empty() ? std::string() : key_files.front();
        if (const char* env = std::getenv("KDS_ENCRYPTION_KEY_FILE"); key_file.empty() && env != nullptr)
          key_file = env;
        if (key_file.empty())
          throw UsageError("a key is required: --encryption-key-file FILE or KDS_ENCRYPTION_KEY_FILE");
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        api::StreamEncryptionRequest request;  // the KeyId of a local store is the key file's path
        request.stream.name = stream;
        request.encryption_type = "KMS";
        request.key_id = key_file;
        auto started = api::start_stream_encryption(api_context(*store, nullptr), request);
        if (!started.ok()) return fail(started.error());
        return static_cast<int>(kExitOk);
      });
}
