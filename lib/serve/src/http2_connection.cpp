// kds-serve's HTTP/2 codec (http2_connection.h) over nghttp2.
#include "http2_connection.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

namespace kds::serve {

namespace {

// What the server announces in its SETTINGS. The stream window lets a client send a whole PutRecords
// of a few MiB without waiting for a WINDOW_UPDATE each 64 KiB; the connection window several at once.
constexpr uint32_t kMaxConcurrentStreams = 100;
constexpr int32_t kStreamWindow = 4 << 20;
constexpr int32_t kConnectionWindow = 16 << 20;
constexpr uint32_t kMaxHeaderListBytes = 64 << 10;

// One request stream, from its HEADERS to its close.
struct Stream {
  HttpRequest request;
  size_t header_bytes = 0;
  bool too_large = false;  // the body passed kMaxRequestBytes: the rest is dropped, the answer is 413
  std::string authority;   // also the "host" header, unless the request has one of its own
  HttpResponse response;
  size_t sent = 0;  // bytes of response.body handed to nghttp2 (of the pieces taken, for a streamed body)
  bool last_taken = false;  // a streamed body: its last piece has been taken
  bool deferred = false;    // a streamed body: nghttp2 was told to wait for more (its stream has made none)
};

}  // namespace

struct Http2Connection::Impl {
  explicit Impl(const Service& served) : service(served) {}
  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
    for (auto& [id, stream] : streams) {
      if (stream.response.stream) stream.response.stream->cancel();
    }
  }

  Stream* stream(int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  void submit(int32_t id, Stream& stream);

  const Service& service;
  nghttp2_session* session = nullptr;
  std::map<int32_t, Stream> streams;  // open request streams
  std::deque<int32_t> complete;       // received whole, not yet answered
};

namespace {

Http2Connection::Impl& impl_of(void* user_data) {
  return *static_cast<Http2Connection::Impl*>(user_data);
}

int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto& stream = impl_of(user_data).streams[frame->hd.stream_id];
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, &stream);
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name_bytes, size_t name_length,
              const uint8_t* value_bytes, size_t value_length, uint8_t, void* user_data) {
  Stream* stream = impl_of(user_data).stream(frame->hd.stream_id);
  if (stream == nullptr) return 0;  // trailers of a stream already answered, say
  stream->header_bytes += name_length + value_length + 32;
  if (stream->header_bytes > kMaxHeaderListBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const std::string_view name(reinterpret_cast<const char*>(name_bytes), name_length);
  std::string value(reinterpret_cast<const char*>(value_bytes), value_length);
  HttpRequest& request = stream->request;
  if (name == ":method") {
    request.method = std::move(value);
  } else if (name == ":path") {
    request.target = std::move(value);
  } else if (name == ":authority") {
    // Kept under both names: a signer may have signed either (the JS SDK signs ":authority").
    request.headers.emplace_back(":authority", value);
    stream->authority = std::move(value);
  } else if (!name.starts_with(':')) {
    request.headers.emplace_back(std::string(name), std::move(value));  // nghttp2 has refused upper case
  }
  return 0;
}

int on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t length,
                  void* user_data) {
  Stream* stream = impl_of(user_data).stream(stream_id);
  if (stream == nullptr || stream->too_large) return 0;
  if (stream->request.body.size() + length > kMaxRequestBytes) {
    stream->too_large = true;
    std::string().swap(stream->request.body);
    return 0;
  }
  stream->request.body.append(reinterpret_cast<const char*>(data), length);
  return 0;
}

int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& impl = impl_of(user_data);
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 && impl.stream(frame->hd.stream_id) != nullptr) {
    impl.complete.push_back(frame->hd.stream_id);
  }
  return 0;
}

int on_stream_close(nghttp2_session* session, int32_t stream_id, uint32_t, void* user_data) {
  auto& impl = impl_of(user_data);
  if (Stream* stream = impl.stream(stream_id); stream != nullptr && stream->response.stream) {
    stream->response.stream->cancel();  // reset by the client, say
  }
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  impl.streams.erase(stream_id);
  return 0;
}

ssize_t read_body(nghttp2_session* session, int32_t stream_id, uint8_t* buffer, size_t length,
                  uint32_t* flags, nghttp2_data_source*, void*) {
  auto* stream = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const std::string& body = stream->response.body;
  const size_t count = std::min(length, body.size() - stream->sent);
  std::memcpy(buffer, body.data() + stream->sent, count);
  stream->sent += count;
  if (stream->sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(count);
}

// A streamed body: what its stream has made so far, taken as nghttp2 may send it; deferred (to be resumed
// by resume()) when there is nothing yet.
ssize_t read_streamed_body(nghttp2_session* session, int32_t stream_id, uint8_t* buffer, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void*) {
  auto* stream = static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, stream_id));
  if (stream == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  std::string& pending = stream->response.body;
  if (stream->sent == pending.size() && !stream->last_taken) {
    BodyStream::Piece piece = stream->response.stream->take();
    pending.erase(0, stream->sent);
    stream->sent = 0;
    pending += piece.bytes;
    stream->last_taken = piece.last;
  }
  const size_t count = std::min(length, pending.size() - stream->sent);
  stream->deferred = count == 0 && !stream->last_taken;
  if (stream->deferred) return NGHTTP2_ERR_DEFERRED;
  std::memcpy(buffer, pending.data() + stream->sent, count);
  stream->sent += count;
  if (stream->last_taken && stream->sent == pending.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(count);
}

nghttp2_nv header_entry(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

void Http2Connection::Impl::submit(int32_t id, Stream& stream) {
  // HTTP/2 header names are lower case (RFC 9113 §8.2.1); nghttp2 copies them before submit returns.
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back(":status", std::to_string(stream.response.status));
  for (const auto& [name, value] : stream.response.headers)
    fields.emplace_back(lower_case(name), value);
  const bool streamed = stream.response.stream != nullptr;
  if (!streamed) fields.emplace_back("content-length", std::to_string(stream.response.body.size()));
  std::vector<nghttp2_nv> entries;
  entries.reserve(fields.size());
  for (const auto& [name, value] : fields)
    entries.push_back(header_entry(name, value));
  nghttp2_data_provider body{};
  body.read_callback = streamed ? read_streamed_body : read_body;
  nghttp2_submit_response(session, id, entries.data(), entries.size(),
                          streamed || !stream.response.body.empty() ? &body : nullptr);
}

Http2Connection::Http2Connection(const Service& service) : impl_(std::make_unique<Impl>(service)) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  nghttp2_session_server_new(&impl_->session, callbacks, impl_.get());
  nghttp2_session_callbacks_del(callbacks);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderListBytes},
  };
  nghttp2_submit_settings(impl_->session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(impl_->session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

Http2Connection::~Http2Connection() = default;

bool Http2Connection::receive(std::string_view bytes) {
  const ssize_t used =
      nghttp2_session_mem_recv(impl_->session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return used >= 0;
}

std::vector<std::pair<int32_t, HttpRequest>> Http2Connection::take_requests() {
  std::vector<std::pair<int32_t, HttpRequest>> requests;
  while (!impl_->complete.empty()) {
    const int32_t id = impl_->complete.front();
    impl_->complete.pop_front();
    Stream* stream = impl_->stream(id);
    if (stream == nullptr) continue;  // reset by the client meanwhile
    if (stream->too_large) {
      respond(id, status_only_response(413));
      continue;
    }
    if (!stream->authority.empty() && !stream->request.header("host")) {
      stream->request.headers.emplace_back("host", stream->authority);
    }
    requests.emplace_back(id, std::move(stream->request));
  }
  return requests;
}

void Http2Connection::respond(int32_t stream_id, HttpResponse response) {
  Stream* stream = impl_->stream(stream_id);
  if (stream == nullptr) return;  // reset by the client, or the connection failed, while it was answered
  stream->response = std::move(response);
  impl_->submit(stream_id, *stream);
}

void Http2Connection::resume(int32_t stream_id) {
  if (impl_->stream(stream_id) != nullptr) nghttp2_session_resume_data(impl_->session, stream_id);
}

bool Http2Connection::waiting_for_body() const {
  return std::any_of(impl_->streams.begin(), impl_->streams.end(), [](const auto& entry) {
    return entry.second.response.stream != nullptr && entry.second.deferred;
  });
}

void Http2Connection::answer() {
  for (auto& [id, request] : take_requests())
    respond(id, impl_->service.handle(request));
}

void Http2Connection::take_output(std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t count = nghttp2_session_mem_send(impl_->session, &data);
    if (count <= 0) return;  // nothing more now, or a fatal error that alive() reports
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(count));
  }
}

bool Http2Connection::alive() const {
  return nghttp2_session_want_read(impl_->session) != 0 || nghttp2_session_want_write(impl_->session) != 0;
}

void Http2Connection::shut_down() {
  for (auto& [id, stream] : impl_->streams) {
    if (stream.response.stream) stream.response.stream->cancel();
  }
  nghttp2_submit_goaway(impl_->session, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(impl_->session), NGHTTP2_NO_ERROR, nullptr,
                        0);
}

}  // namespace kds::serve
