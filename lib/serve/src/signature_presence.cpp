#include "signature_presence.h"

#include <array>
#include <map>

namespace kds::serve {

Parameters query_parameters(std::string_view target) {
  Parameters parameters;
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return parameters;
  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const size_t equals = pair.find('=');
    parameters.emplace(std::string(pair.substr(0, equals)),
                       equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return parameters;
}

Parameters authorization_parameters(std::string_view header) {
  Parameters parameters;
  bool first = true;
  while (!header.empty()) {
    const size_t end = header.find_first_of(", ");
    const std::string_view part = header.substr(0, end);
    if (!part.empty()) {
      if (!first) {
        const size_t equals = part.find('=');
        const std::string_view value = equals == std::string_view::npos ? "" : part.substr(equals + 1);
        parameters.emplace(std::string(part.substr(0, equals)),
                           std::string(value.substr(0, value.find('='))));
      }
      first = false;
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return parameters;
}

std::optional<SignatureRefusal> check_signature_presence(const HttpRequest& request) {
  const auto authorization = request.header("authorization");
  const auto query = query_parameters(request.target);
  const bool query_form = query.count("X-Amz-Algorithm") > 0;
  if (authorization && query_form) {
    return SignatureRefusal{
        "InvalidSignatureException",
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
        "header."};
  }
  if (!authorization && !query_form) {
    return SignatureRefusal{"MissingAuthenticationTokenException", "Missing Authentication Token"};
  }
  std::string message;
  if (authorization) {
    const auto parameters = authorization_parameters(*authorization);
    for (const char* name : {"Credential", "Signature", "SignedHeaders"}) {
      auto it = parameters.find(name);
      if (it == parameters.end() || it->second.empty()) {
        message += "Authorization header requires '";
        message += name;
        message += "' parameter. ";
      }
    }
    if (!request.header("x-amz-date") && !request.header("date")) {
      message += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (!message.empty()) message += "Authorization=" + std::string(*authorization);
  } else {
    for (const char* name :
         {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"}) {
      auto it = query.find(name);
      if (it == query.end() || it->second.empty()) {
        message += "AWS query-string parameters must include '";
        message += name;
        message += "'. ";
      }
    }
    if (!message.empty()) message += "Re-examine the query-string parameters.";
  }
  if (message.empty()) return std::nullopt;
  return SignatureRefusal{"IncompleteSignatureException", std::move(message)};
}

}  // namespace kds::serve
