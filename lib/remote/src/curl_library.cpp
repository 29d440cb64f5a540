#include "curl_library.h"

#include <dlfcn.h>

namespace kds::remote {

namespace {

struct Loaded {
  CurlLibrary library{};
  std::string error;
  bool ok = false;
};

template <class F>
bool find(void* handle, const char* name, F* function) {
  *function = reinterpret_cast<F>(::dlsym(handle, name));
  return *function != nullptr;
}

Loaded load() {
  Loaded loaded;
  void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    loaded.error = std::string("cannot load libcurl (Debian package libcurl4): ") + (why ? why : "");
    return loaded;
  }
  CurlLibrary& l = loaded.library;
  decltype(&curl_global_init) global_init = nullptr;
  if (!find(handle, "curl_global_init", &global_init) || !find(handle, "curl_easy_init", &l.easy_init) ||
      !find(handle, "curl_easy_setopt", &l.easy_setopt) ||
      !find(handle, "curl_easy_perform", &l.easy_perform) ||
      !find(handle, "curl_easy_getinfo", &l.easy_getinfo) ||
      !find(handle, "curl_easy_cleanup", &l.easy_cleanup) ||
      !find(handle, "curl_easy_strerror", &l.easy_strerror) ||
      !find(handle, "curl_slist_append", &l.slist_append) ||
      !find(handle, "curl_slist_free_all", &l.slist_free_all)) {
    loaded.error = "libcurl.so.4 lacks a function kds needs (libcurl 7.68 or later will do)";
    return loaded;
  }
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    loaded.error = "libcurl could not be initialised";
    return loaded;
  }
  loaded.ok = true;
  return loaded;  // the handle stays open for the life of the process
}

}  // namespace

const CurlLibrary* curl_library(std::string* error) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    *error = loaded.error;
    return nullptr;
  }
  return &loaded.library;
}

}  // namespace kds::remote
