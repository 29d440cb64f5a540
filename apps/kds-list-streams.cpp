// kds-list-streams: the streams of the store, or of a Kinesis endpoint, sorted by name.
#include "common/cli.h"
#include "common/output.h"
#include "common/remote.h"
#include "kds/api/operations.h"
#include "kds/remote/streams.h"

using namespace kds;
using namespace kds::cli;

namespace {

// Every page, as `aws kinesis list-streams` pages through them: StreamNames, HasMoreStreams false and
// StreamSummaries (absent from endpoints that give none, such as kinesalite).
Result<nlohmann::ordered_json> list_local(const Store& store) {
  api::ListStreamsRequest request;
  api::ListStreamsResponse all;
  for (;;) {
    KDS_ASSIGN(auto page, api::list_streams(api_context(store, nullptr), request));
    for (auto& meta : page.streams)
      all.streams.push_back(std::move(meta));
    if (!page.has_more_streams) break;
    request.next_token = page.next_token;
  }
  return all.to_json();
}

Result<nlohmann::ordered_json> list_remote(remote::Client& client) {
  api::ListStreamsRequest request;
  nlohmann::ordered_json all = {{"StreamNames", nlohmann::ordered_json::array()}, {"HasMoreStreams", false}};
  for (;;) {
    KDS_ASSIGN(auto page, client.call("ListStreams", request.to_json()));
    std::string last;
    for (const auto& name : page.value("StreamNames", nlohmann::ordered_json::array())) {
      if (!name.is_string())
        return Error(Errc::kUnavailable, "ListStreams answered a stream name that is not text");
      all["StreamNames"].push_back(name);
      last = name.get<std::string>();
    }
    for (const auto& summary : page.value("StreamSummaries", nlohmann::ordered_json::array()))
      all["StreamSummaries"].push_back(summary);
    if (!page.value("HasMoreStreams", false) || last.empty()) break;
    // NextToken where the endpoint gives one; ExclusiveStartStreamName works everywhere else.
    const std::string token = remote::text_member(page, "NextToken");
    if (token.empty() ? last == request.exclusive_start_stream_name : token == request.next_token)
      return Error(Errc::kUnavailable, "ListStreams answered HasMoreStreams without moving on");
    request = {};
    if (token.empty()) {
      request.exclusive_start_stream_name = last;
    } else {
      request.next_token = token;
    }
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_option;
  std::string output = "text";
  remote::RemoteOptions remote_options;
  return run(
      argc, argv, "kds-list-streams", "List the streams of the store, one name per line.",
      [&](CLI::App& app) {
        add_output_option(app, &output);
        add_store_option(app, &store_option);
        add_remote_options(app, &remote_options);
      },
      [&] {
        auto client = remote_client(remote_options);
        if (!client.ok()) return fail(client.error());
        Result<nlohmann::ordered_json> listed = Error(Errc::kIo, "");
        if (*client) {
          listed = list_remote(**client);
        } else {
          auto store = open_store(store_option);
          if (!store.ok()) return fail(store.error());
          listed = list_local(*store);
        }
        if (!listed.ok()) return fail(listed.error());
        Output& out = Output::standard();
        if (output == "json") {
          out.write(listed->dump(4) + "\n");
        } else {
          for (const auto& name : (*listed)["StreamNames"])
            out.write(name.get<std::string>() + "\n");
        }
        return static_cast<int>(kExitOk);
      });
}
