// libcurl, loaded when remote mode first needs it rather than linked. Linking it costs every tool start
// about 8 ms (33 shared libraries to load and relocate: measured on a no-op program, 500 starts, 2.9 s
// against 11.3 s), which local tools, built to start in about 3 ms, should not pay for a mode they are not
// in. Only the functions the client calls are looked up.
#pragma once

#include <curl/curl.h>

#include <string>

namespace kds::remote {

struct CurlLibrary {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

// The library, loaded and initialised once per process (thread-safe); null with `error` set when
// libcurl.so.4 cannot be loaded or lacks a function.
const CurlLibrary* curl_library(std::string* error);

}  // namespace kds::remote
