// Errors as values. Every fallible library call returns Status or Result<T>; nothing in lib/ throws for a
// condition a caller can cause (bad input, missing stream, damaged file, full disk). What can still throw
// is what the machine or a bug causes: std::bad_alloc; std::system_error when a thread cannot be started
// (BackgroundSyncer, CompressWorker); std::runtime_error when OpenSSL offers no MD5 (a FIPS-only
// configuration); std::bad_variant_access from value() or error() on the wrong alternative.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kds {

// The kinds of failure a caller may need to tell apart. The first group mirrors the exceptions Kinesis
// returns for the same request, so tools can print the name a Kinesis user already knows; the second
// group covers local conditions Kinesis has no name for.
enum class Errc {
  kValidation,          // ValidationException: length, pattern or range of one request member
  kInvalidArgument,     // InvalidArgumentException: values valid alone but not together or not now
  kResourceNotFound,    // ResourceNotFoundException: no such stream, shard or record
  kResourceInUse,       // ResourceInUseException: name taken, or stream busy with another change
  kLimitExceeded,       // LimitExceededException
  kExpiredIterator,     // ExpiredIteratorException: a shard iterator older than five minutes
  kExpiredNextToken,    // ExpiredNextTokenException: a pagination token older than five minutes
  kSerialization,       // SerializationException: a request member of the wrong JSON type
  kThroughputExceeded,  // ProvisionedThroughputExceededException: a shard's read or write rate
  kAccessDenied,  // a remote endpoint refused the credentials (AccessDeniedException, UnrecognizedClient...)
  kUnavailable,   // a remote endpoint could not be reached or failed (a network error, a 5xx answer)
  kCorruption,    // stored bytes failed a check (CRC, structure, metadata)
  kIo,            // an operating-system call failed
  kNoSpace,       // the file system is full (ENOSPC, EDQUOT)
};

// The name printed before a message, e.g. "ResourceNotFoundException", "Corruption", "IOError".
std::string_view errc_name(Errc code);

// How the Kinesis wire protocol reports an error (wire.md §4): the `__type` an AWS client keys on and the
// HTTP status. Kinesis's own exceptions are 400 with their names; local failures (damage, I/O, a full
// disk) are what Kinesis calls a service error, "InternalFailure" with 500.
std::string_view errc_wire_type(Errc code);
int errc_http_status(Errc code);

class Error {
 public:
  Error(Errc code, std::string message, int sys_errno = 0)
      : code_(code), message_(std::move(message)), sys_errno_(sys_errno) {}
  // An error a remote endpoint answered: classified `code`, printed under the endpoint's own `name`
  // (e.g. "UnrecognizedClientException", which kds has no Errc of its own for).
  static Error named(Errc code, std::string name, std::string message);
  Errc code() const { return code_; }
  // The name printed before the message: the endpoint's, else errc_name(code()).
  std::string_view name() const;
  const std::string& message() const { return message_; }
  // The errno of the failed system call for kIo and kNoSpace errors, else 0.
  int sys_errno() const { return sys_errno_; }
  // "Name: message", the form every tool prints after its own name.
  std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
  int sys_errno_ = 0;
  std::string name_;  // empty: errc_name(code_)
};

// An Error for a failed system call: "what: strerror(err)", classified kNoSpace for ENOSPC/EDQUOT.
Error io_error(std::string_view what, int err);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design
  bool ok() const { return !failed_; }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_{Errc::kIo, {}};
  bool failed_ = false;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  Result(Status status) : v_(std::in_place_index<1>, status.error()) { assert(!status.ok()); }  // NOLINT
  bool ok() const { return v_.index() == 0; }
  const Error& error() const { return std::get<1>(v_); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace kds

#define KDS_CONCAT_INNER(a, b) a##b
#define KDS_CONCAT(a, b) KDS_CONCAT_INNER(a, b)

// Returns the error of a failed Status or Result from the enclosing function.
#define KDS_TRY(expr)                                          \
  do {                                                         \
    auto&& kds_try_result_ = (expr);                           \
    if (!kds_try_result_.ok()) return kds_try_result_.error(); \
  } while (0)

// Declares or assigns `lhs` from a Result, returning its error from the enclosing function on failure.
#define KDS_ASSIGN(lhs, expr) KDS_ASSIGN_IMPL(KDS_CONCAT(kds_assign_, __LINE__), lhs, expr)
#define KDS_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return tmp.error();    \
  lhs = std::move(tmp).value()
