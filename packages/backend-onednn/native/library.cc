// Loading libdnnl.so.2 and OpenMP's thread control from it.
#include <dlfcn.h>

#include "onednn.h"

namespace convkit {

static Dnnl loaded;
const Dnnl* dnnl = nullptr;

bool loadDnnl(const std::string& path, std::string& error) {
  if (dnnl) return true;
  const std::string file = path.empty() ? "libdnnl.so.2" : path;
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    error = "cannot open " + file + ": " + (why ? why : "unknown error");
    return false;
  }
#define CONVKIT_RESOLVE(name)                                                          \
  loaded.name = reinterpret_cast<decltype(loaded.name)>(dlsym(handle, #name));         \
  if (!loaded.name) {                                                                  \
    error = file + " has no " #name ": it is not oneDNN 2.x";                          \
    dlclose(handle);                                                                   \
    return false;                                                                      \
  }
  CONVKIT_DNNL_FUNCTIONS(CONVKIT_RESOLVE)
#undef CONVKIT_RESOLVE
  const dnnl_version_t* version = loaded.dnnl_version();
  if (version->major != DNNL_VERSION_MAJOR) {
    error = file + " is oneDNN " + std::to_string(version->major) + "." + std::to_string(version->minor) +
            "; the addon was built for the " + std::to_string(DNNL_VERSION_MAJOR) + ".x API";
    dlclose(handle);
    return false;
  }
  // oneDNN's CPU runtime is OpenMP in Debian's build; its thread pool is sized through OpenMP. A build on
  // another runtime has no such symbols, and then threads follow that runtime's own settings.
  loaded.omp_set_num_threads = reinterpret_cast<void (*)(int)>(dlsym(handle, "omp_set_num_threads"));
  loaded.omp_get_max_threads = reinterpret_cast<int (*)()>(dlsym(handle, "omp_get_max_threads"));
  dnnl = &loaded;
  return true;
}

const char* statusName(dnnl_status_t status) {
  switch (status) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "unimplemented (no implementation for these shapes and formats)";
    case dnnl_iterator_ends: return "iterator ends";
    case dnnl_runtime_error: return "runtime error";
    case dnnl_not_required: return "not required";
    default: return "unknown status";
  }
}

}  // namespace convkit
