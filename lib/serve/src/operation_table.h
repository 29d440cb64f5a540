// The operations kds-serve performs, by name: each reads its request from a JSON body, runs the API
// layer's function and gives its output as JSON text (nullopt for operations without output).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kds/api/operations.h"
#include "kds/status.h"

namespace kds::serve {

using OperationResult = Result<std::optional<std::string>>;
using Operation = OperationResult (*)(const api::Context& context, api::Body body);

// The operation named `name` (as in X-Amz-Target, e.g. "PutRecords"), or null.
Operation find_operation(std::string_view name);

}  // namespace kds::serve
