// kds-put in remote mode: the records of the inputs, split and keyed as locally, go to an endpoint through
// remote::Producer; acknowledgements (--output json) are printed in input order as the endpoint stores them.
#pragma once

#include <string>
#include <vector>

#include "kds/remote/client.h"
#include "put_loop.h"

namespace kds::cli {

// Puts every record of `inputs` to `stream`; returns an exit status. `client` checks that the stream exists
// (and reads its largest record size) before any input is read.
int put_remote(remote::Client& client, const std::string& stream, const PutSettings& settings,
               const std::vector<Input>& inputs);

}  // namespace kds::cli
