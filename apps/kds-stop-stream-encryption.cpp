// kds-stop-stream-encryption: store a stream's new batches unencrypted.
#include "common/cli.h"
#include "common/remote.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"

using namespace kds;
using namespace kds::cli;

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, key_id;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-stop-stream-encryption",
      "Store a stream's new batches unencrypted; reading older encrypted batches still needs their key.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
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
          if (key_id.empty()) {  // StopStreamEncryption names the key in use: the stream says which
            auto summary = remote::describe_stream_summary(**client, stream);
            if (!summary.ok()) return fail(summary.error());
            key_id = remote::text_member(*summary, "KeyId");
            if (key_id.empty()) key_id = "alias/aws/kinesis";
          }
          return change_encryption(**client, "StopStreamEncryption", stream, key_id, no_wait);
        }
        if (!key_id.empty())
          throw UsageError("--key-id names a KMS key of a Kinesis endpoint: give it with --endpoint");
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        api::StreamEncryptionRequest request;
        request.stream.name = stream;
        request.encryption_type = "KMS";
        // StopStreamEncryption names the key it stops using; a local store knows it by its fingerprint.
        request.key_id = "current";
        if (auto opened = store->open_stream(stream);
            opened.ok() && !opened->meta().key_fingerprint.empty()) {
          request.key_id = "fingerprint:" + opened->meta().key_fingerprint;
        }
        auto stopped = api::stop_stream_encryption(api_context(*store, nullptr), request);
        if (!stopped.ok()) return fail(stopped.error());
        return static_cast<int>(kExitOk);
      });
}
