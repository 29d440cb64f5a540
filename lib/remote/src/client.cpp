// The remote client (client.h): SigV4-signed JSON 1.1 requests over libcurl.
#include "kds/remote/client.h"

#include <time.h>

#include <chrono>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "curl_library.h"
#include "kds/remote/signer.h"

namespace kds::remote {

namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";
constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr int kAttempts = 3;

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// "yyyymmddThhmmssZ" of now.
std::string amz_date_now() {
  const time_t now = ::time(nullptr);
  struct tm utc {};
  ::gmtime_r(&now, &utc);
  char text[20];
  ::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

bool retryable(const Error& error, std::string_view operation) {
  switch (error.code()) {
    case Errc::kUnavailable:
    case Errc::kThroughputExceeded:
      return true;
    case Errc::kLimitExceeded:  // the control plane's rate limit, for reads only: a quota is not transient
      return operation.starts_with("Describe") || operation.starts_with("List");
    default:
      return false;
  }
}

// libcurl's progress function for a request that is not a stream: ends it when the target says stop.
int stop_progress(void* stop_requested, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<const std::function<bool()>*>(stop_requested))() ? 1 : 0;
}

}  // namespace

bool pause_unless_stopped(const Target& target, std::chrono::milliseconds pause) {
  if (!target.stop_requested) {
    std::this_thread::sleep_for(pause);
    return true;
  }
  const auto until = std::chrono::steady_clock::now() + pause;
  for (;;) {
    if (target.stop_requested()) return false;
    const auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

Error stopped_error(const Target& target) {
  return Error(Errc::kUnavailable, fmt::format("{}: interrupted", target.url));
}

Errc errc_from_wire_type(std::string_view type, int http_status) {
  for (Errc code : {Errc::kValidation, Errc::kInvalidArgument, Errc::kResourceNotFound, Errc::kResourceInUse,
                    Errc::kLimitExceeded, Errc::kExpiredIterator, Errc::kExpiredNextToken,
                    Errc::kSerialization, Errc::kThroughputExceeded, Errc::kAccessDenied}) {
    if (type == errc_name(code)) return code;
  }
  // What AWS answers for credentials it does not take (wire.md §6) and for a request it refuses outright.
  for (std::string_view refused :
       {"UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException",
        "MissingAuthenticationTokenException", "ExpiredTokenException", "InvalidClientTokenId",
        "SignatureDoesNotMatch", "AccessDenied", "KMSAccessDeniedException"}) {
    if (type == refused) return Errc::kAccessDenied;
  }
  if (type == "ThrottlingException" || type == "KMSThrottlingException") return Errc::kThroughputExceeded;
  if (http_status == 429) return Errc::kThroughputExceeded;
  if (http_status >= 500 || type == "InternalFailure" || type == "ServiceUnavailable")
    return Errc::kUnavailable;
  if (http_status == 403) return Errc::kAccessDenied;
  return Errc::kInvalidArgument;
}

std::string host_header(std::string_view url) {
  const bool https = url.starts_with("https://");
  std::string host(url.substr(url.find("://") + 3));
  for (char& c : host)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  const std::string_view default_port = https ? ":443" : ":80";
  if (host.ends_with(default_port)) host.erase(host.size() - default_port.size());
  return host;
}

struct Client::State {
  const CurlLibrary* curl = nullptr;
  CURL* easy = nullptr;
  Target target;
  std::string host;  // the Host header: the URL's authority
  std::mt19937_64 random{std::random_device{}()};
  size_t last_answer_size = 0;  // answers are received into this much room, and a quarter more

  ~State() {
    if (easy != nullptr) curl->easy_cleanup(easy);
  }
};

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const Target& Client::target() const {
  return state_->target;
}

void Client::stop_when(std::function<bool()> stop_requested) {
  state_->target.stop_requested = std::move(stop_requested);
}

Result<Client> Client::open(Target target) {
  auto state = std::make_unique<State>();
  std::string why;
  state->curl = curl_library(&why);
  if (state->curl == nullptr) return Error(Errc::kUnavailable, why);
  state->easy = state->curl->easy_init();
  if (state->easy == nullptr) return Error(Errc::kUnavailable, "libcurl could not make a handle");
  state->host = host_header(target.url);
  state->target = std::move(target);
  return Client(std::move(state));
}

Result<nlohmann::ordered_json> Client::call(std::string_view operation,
                                            const nlohmann::ordered_json& request) {
  // Text that is not UTF-8 goes as U+FFFD: the endpoint then refuses the name it cannot match.
  return call_with_body(operation,
                        request.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

Result<nlohmann::ordered_json> Client::call_with_body(std::string_view operation, const std::string& body) {
  KDS_ASSIGN(const std::string answer, call_text(operation, body));
  if (answer.empty()) return nlohmann::ordered_json::object();
  auto json = nlohmann::ordered_json::parse(answer, nullptr, false);
  if (json.is_discarded()) return not_json(operation);
  return json;
}

Result<std::string> Client::call_text(std::string_view operation, const std::string& body) {
  for (int attempt = 1;; ++attempt) {
    auto answer = this->attempt(operation, body);
    if (answer.ok() || attempt == kAttempts || !retryable(answer.error(), operation)) return answer;
    // Full jitter over a doubling cap, as the SDKs' standard retry mode: from 1 s when throttled, from
    // 100 ms after a failure.
    const bool throttled = answer.error().code() != Errc::kUnavailable;
    const auto cap = std::chrono::milliseconds((throttled ? 1000 : 100) << attempt);
    std::uniform_int_distribution<int64_t> pick(0, cap.count());
    if (!pause_unless_stopped(state_->target, std::chrono::milliseconds(pick(state_->random))))
      return stopped_error(state_->target);
  }
}

Error Client::not_json(std::string_view operation) const {
  return Error(Errc::kUnavailable,
               fmt::format("{}: the answer to {} is not JSON", state_->target.url, operation));
}

// The Error of an answer with HTTP `status` other than 200 and body `answer` (wire.md §4): "__type"
// (possibly "namespace#Name") and "message" (or "Message").
Error Client::error_answer(std::string_view operation, long status, const std::string& answer) const {
  const auto json = nlohmann::ordered_json::parse(answer, nullptr, false);
  std::string type;
  std::string message;
  if (json.is_object()) {
    if (json.contains("__type") && json["__type"].is_string()) type = json["__type"].get<std::string>();
    for (const char* member : {"message", "Message"})
      if (json.contains(member) && json[member].is_string()) message = json[member].get<std::string>();
  }
  if (const size_t hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  if (type.empty()) type = fmt::format("HTTP{}", status);
  if (message.empty())
    message = fmt::format("{} answered {} with HTTP status {}", state_->target.url, operation, status);
  return Error::named(errc_from_wire_type(type, static_cast<int>(status)), type, message);
}

Result<long> Client::perform(std::string_view operation, const std::string& body, const Transfer& transfer) {
  State& s = *state_;
  const Credentials& credentials = s.target.credentials;

  RequestToSign request;
  request.headers = {{"content-type", std::string(kContentType)},
                     {"host", s.host},
                     {"x-amz-date", amz_date_now()},
                     {"x-amz-target", std::string(kTargetPrefix) + std::string(operation)}};
  if (!credentials.session_token.empty())
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  request.body = body;

  const CurlLibrary& curl = *s.curl;
  curl_slist* headers = nullptr;
  // Host too: what is signed is what is sent.
  for (const auto& [name, value] : request.headers)
    headers = curl.slist_append(headers, fmt::format("{}: {}", name, value).c_str());
  const std::string signed_by =
      "authorization: " + authorization(request, credentials, s.target.region, "kinesis");
  headers = curl.slist_append(headers, signed_by.c_str());
  headers = curl.slist_append(headers, "Expect:");  // no 100-continue round trip for large bodies

  char curl_error[CURL_ERROR_SIZE] = "";
  const std::string url = s.target.url + "/";
  CURL* easy = s.easy;
  curl.easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl.easy_setopt(easy, CURLOPT_POST, 1L);
  curl.easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl.easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl.easy_setopt(easy, CURLOPT_WRITEFUNCTION, transfer.write);
  curl.easy_setopt(easy, CURLOPT_WRITEDATA, transfer.data);
  curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
  // CURLOPT_NOSIGNAL stays off: libcurl then ignores SIGPIPE while it writes, which the tools otherwise die
  // of.
  curl.easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl.easy_setopt(easy, CURLOPT_USERAGENT, "kds");
  if (transfer.progress == nullptr) {
    curl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, 120000L);
    curl.easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 0L);
    const bool stoppable = static_cast<bool>(s.target.stop_requested);
    curl.easy_setopt(easy, CURLOPT_NOPROGRESS, stoppable ? 0L : 1L);
    if (stoppable) {
      curl.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &stop_progress);
      curl.easy_setopt(easy, CURLOPT_XFERINFODATA, &s.target.stop_requested);
    }
  } else {
    // A stream of events lasts minutes: no overall timeout, but a connection silent for longer than the
    // endpoint's heartbeat (5 s) several times over is given up.
    curl.easy_setopt(easy, CURLOPT_TIMEOUT_MS, 0L);
    curl.easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl.easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 30L);
    curl.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, transfer.progress);
    curl.easy_setopt(easy, CURLOPT_XFERINFODATA, transfer.data);
  }
  if (!s.target.ca_bundle.empty()) curl.easy_setopt(easy, CURLOPT_CAINFO, s.target.ca_bundle.c_str());
  const CURLcode code = curl.easy_perform(easy);
  curl.easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl.easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl.slist_free_all(headers);
  long status = 0;
  curl.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  // A stream its reader cut short is not a failure.
  const bool cut_short = transfer.progress != nullptr &&
                         (code == CURLE_WRITE_ERROR || code == CURLE_ABORTED_BY_CALLBACK) && status == 200;
  if (code == CURLE_ABORTED_BY_CALLBACK && transfer.progress == nullptr) return stopped_error(s.target);
  if (code != CURLE_OK && !cut_short) {
    return Error(
        Errc::kUnavailable,
        fmt::format("{}: {}", s.target.url, curl_error[0] != '\0' ? curl_error : curl.easy_strerror(code)));
  }
  return status;
}

Result<std::string> Client::attempt(std::string_view operation, const std::string& body) {
  std::string answer;
  answer.reserve(state_->last_answer_size + state_->last_answer_size / 4);
  KDS_ASSIGN(const long status, perform(operation, body, {&append_body, nullptr, &answer}));
  state_->last_answer_size = answer.size();
  if (status != 200) return error_answer(operation, status, answer);
  return answer;
}

namespace {

// What a streamed answer's callbacks share.
struct StreamState {
  CURL* easy;
  const CurlLibrary* curl;
  const Client::BytesFunction* on_bytes;
  const std::function<bool()>* keep_going;
  std::string error_body;  // of an answer other than 200
};

static_assert(std::is_same_v<curl_off_t, int64_t>, "Client::Transfer declares libcurl's progress function");

size_t stream_body(char* data, size_t size, size_t count, void* opaque) {
  auto& state = *static_cast<StreamState*>(opaque);
  long status = 0;
  state.curl->easy_getinfo(state.easy, CURLINFO_RESPONSE_CODE, &status);
  const std::string_view bytes(data, size * count);
  if (status != 200) {
    state.error_body.append(bytes);
    return bytes.size();
  }
  return (*state.on_bytes)(bytes) ? bytes.size() : 0;
}

int stream_progress(void* opaque, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return (*static_cast<StreamState*>(opaque)->keep_going)() ? 0 : 1;
}

}  // namespace

Status Client::stream(std::string_view operation, const nlohmann::ordered_json& request,
                      const BytesFunction& on_bytes, const std::function<bool()>& keep_going) {
  StreamState state{state_->easy, state_->curl, &on_bytes, &keep_going, {}};
  const std::string body = request.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  KDS_ASSIGN(const long status, perform(operation, body, {&stream_body, &stream_progress, &state}));
  if (status != 200) return error_answer(operation, status, state.error_body);
  return {};
}

}  // namespace kds::remote
