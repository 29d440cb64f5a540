#include "kds/status.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace kds {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::kValidation:
      return "ValidationException";
    case Errc::kInvalidArgument:
      return "InvalidArgumentException";
    case Errc::kResourceNotFound:
      return "ResourceNotFoundException";
    case Errc::kResourceInUse:
      return "ResourceInUseException";
    case Errc::kLimitExceeded:
      return "LimitExceededException";
    case Errc::kExpiredIterator:
      return "ExpiredIteratorException";
    case Errc::kExpiredNextToken:
      return "ExpiredNextTokenException";
    case Errc::kSerialization:
      return "SerializationException";
    case Errc::kThroughputExceeded:
      return "ProvisionedThroughputExceededException";
    case Errc::kAccessDenied:
      return "AccessDeniedException";
    case Errc::kUnavailable:
      return "ServiceUnavailable";
    case Errc::kCorruption:
      return "Corruption";
    case Errc::kIo:
      return "IOError";
    case Errc::kNoSpace:
      return "NoSpace";
  }
  return "Error";
}

std::string_view errc_wire_type(Errc code) {
  switch (code) {
    case Errc::kCorruption:
    case Errc::kIo:
    case Errc::kNoSpace:
    case Errc::kUnavailable:
      return "InternalFailure";
    default:
      return errc_name(code);
  }
}

int errc_http_status(Errc code) {
  return errc_wire_type(code) == "InternalFailure" ? 500 : 400;
}

Error Error::named(Errc code, std::string name, std::string message) {
  Error error(code, std::move(message));
  error.name_ = std::move(name);
  return error;
}

std::string_view Error::name() const {
  return name_.empty() ? errc_name(code_) : std::string_view(name_);
}

std::string Error::to_string() const {
  std::string text(name());
  text += ": ";
  text += message_;
  return text;
}

Error io_error(std::string_view what, int err) {
  std::string text(what);
  text += ": ";
  text += std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    text += " (the disk is full)";
    return Error(Errc::kNoSpace, std::move(text), err);
  }
  return Error(Errc::kIo, std::move(text), err);
}

}  // namespace kds
