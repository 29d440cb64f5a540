// kds-set-max-record-size: the largest record a stream takes (Kinesis's UpdateMaxRecordSize).
#include "common/cli.h"
#include "common/remote.h"
#include "common/text.h"
#include "kds/remote/streams.h"
#include "kds/stream_settings.h"

using namespace kds;
using namespace kds::cli;

namespace {

// UpdateMaxRecordSize names the stream by its ARN only: DescribeStreamSummary gives it.
int set_remote(remote::Client& client, const std::string& stream, int64_t kib, bool no_wait) {
  auto summary = remote::describe_stream_summary(client, stream);
  if (!summary.ok()) return fail(summary.error());
  const std::string arn = remote::text_member(*summary, "StreamARN");
  if (arn.empty()) return fail(Error(Errc::kUnavailable, "DescribeStreamSummary answered no StreamARN"));
  const nlohmann::ordered_json request = {{"StreamARN", arn}, {"MaxRecordSizeInKiB", kib}};
  auto changed = remote::change_stream(client, "UpdateMaxRecordSize", request, stream, no_wait);
  return changed.ok() ? kExitOk : fail(changed.error());
}

}  // namespace

int main(int argc, char** argv) {
  StreamName stream_name;
  std::string store_option, size_text;
  remote::RemoteOptions remote_options;
  bool no_wait = false;
  CLI::App* app_ptr = nullptr;
  return run(
      argc, argv, "kds-set-max-record-size",
      "Set the largest record (partition key and data) a stream takes, from 1M to 10M.",
      [&](CLI::App& app) {
        app_ptr = &app;
        add_stream_operand(app, &stream_name);
        app.add_option("SIZE", size_text, "1M..10M in whole KiB (1024K..10240K)");
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
        add_no_wait_option(app, &no_wait);
      },
      [&] {
        const std::string stream =
            resolve_stream(*app_ptr, stream_name, [&](std::string operand) { size_text = operand; });
        if (size_text.empty()) throw UsageError("SIZE is required: 1M..10M");
        const auto kib = parse_size_kib(size_text);
        if (!kib) throw UsageError("SIZE: '" + size_text + "' is not a size in whole KiB (e.g. 2M, 1536K)");
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        if (*client) return set_remote(**client, stream, *kib, no_wait);
        auto store = open_store(store_option);
        if (!store.ok()) return fail(store.error());
        if (auto set = set_max_record_size(*store, stream, *kib); !set.ok()) return fail(set.error());
        return static_cast<int>(kExitOk);
      });
}
