// Finds TensorFlow's C kernel API at load time, in whichever TensorFlow library the process
// has already loaded (tfjs-node's binding loads libtensorflow and libtensorflow_framework
// before LSTM Studio loads its kernels). Nothing here is linked against TensorFlow, so the
// same binary works whether a build keeps the kernel API in libtensorflow (the C archives)
// or in libtensorflow_framework (the Python wheels), and no library path is written into it.
//
// Where it looks, in order:
//   - Linux and macOS: the process's global symbols (RTLD_DEFAULT), then every loaded image
//     whose file name contains "tensorflow", opened again with RTLD_NOLOAD (Node loads
//     addons with RTLD_LOCAL, so their libraries are not in the global scope);
//   - Windows: every loaded module whose file name contains "tensorflow" (GetProcAddress).
#include "tf_kernel_api.h"

#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#if defined(_WIN32)
// PSAPI_VERSION 2: the process-module functions come from kernel32 (K32…), no psapi.lib.
#ifndef PSAPI_VERSION
#define PSAPI_VERSION 2
#endif
#include <windows.h>
#include <psapi.h>
#else
#include <dlfcn.h>
#if defined(__APPLE__)
#include <mach-o/dyld.h>
#else
#include <link.h>
#endif
#endif

namespace tfapi {

Api tf;

namespace {

bool names_tensorflow(const char* path) {
  if (!path) return false;
  const char* base = path;
  for (const char* p = path; *p; p++)
    if (*p == '/' || *p == '\\') base = p + 1;
  std::string lower(base);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower.find("tensorflow") != std::string::npos;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A place to look for symbols: a library handle and its file name.
struct Library {
  void* handle;
  std::string path;
};

#if defined(_WIN32)

std::vector<Library> loaded_libraries() {
  std::vector<Library> found;
  HMODULE modules[1024];
  DWORD needed = 0;
  if (!K32EnumProcessModules(GetCurrentProcess(), modules, sizeof modules, &needed))
    return found;
  const DWORD count = needed / sizeof(HMODULE) < 1024 ? needed / sizeof(HMODULE) : 1024;
  for (DWORD k = 0; k < count; k++) {
    char path[MAX_PATH * 2];
    const DWORD length = GetModuleFileNameA(modules[k], path, sizeof path);
    if (length > 0 && length < sizeof path && names_tensorflow(path))
      found.push_back({static_cast<void*>(modules[k]), path});
  }
  return found;
}

void* find_symbol(const Library& library, const char* name) {
  return reinterpret_cast<void*>(GetProcAddress(static_cast<HMODULE>(library.handle), name));
}

std::string library_of(const Library& library, void*) { return library.path; }

#else

#if defined(__APPLE__)
std::vector<std::string> loaded_image_paths() {
  std::vector<std::string> paths;
  const uint32_t count = _dyld_image_count();
  for (uint32_t k = 0; k < count; k++) {
    const char* name = _dyld_get_image_name(k);
    if (names_tensorflow(name)) paths.push_back(name);
  }
  return paths;
}
#else
int collect_image(struct dl_phdr_info* info, size_t, void* data) {
  if (names_tensorflow(info->dlpi_name))
    static_cast<std::vector<std::string>*>(data)->push_back(info->dlpi_name);
  return 0;
}
std::vector<std::string> loaded_image_paths() {
  std::vector<std::string> paths;
  dl_iterate_phdr(collect_image, &paths);
  return paths;
}
#endif

std::vector<Library> loaded_libraries() {
  std::vector<Library> found{{RTLD_DEFAULT, ""}};
  for (const std::string& path : loaded_image_paths()) {
    // RTLD_NOLOAD: only a library that is already loaded; this never loads anything. The
    // handle is kept: TensorFlow stays loaded for the life of the process anyway.
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle) found.push_back({handle, path});
  }
  return found;
}

void* find_symbol(const Library& library, const char* name) {
  return dlsym(library.handle, name);
}

std::string library_of(const Library& library, void* symbol) {
  Dl_info info;
  if (dladdr(symbol, &info) && info.dli_fname) return info.dli_fname;
  return library.path.empty() ? "the process" : library.path;
}

#endif

void write(char* out, size_t size, const std::string& text) {
  if (size == 0) return;
  snprintf(out, size, "%s", text.c_str());
}

}  // namespace

bool load_tf_kernel_api(char* source, size_t source_size) {
  const std::vector<Library> libraries = loaded_libraries();
  std::string missing, provider;
  Api api;
  // Each function from the first place that has it; the library that provides
  // TF_NewKernelBuilder is the one reported.
#define LSTM_STUDIO_TF_API_RESOLVE(name, ...)                                          \
  for (const Library& library : libraries) {                                           \
    void* symbol = find_symbol(library, "TF_" #name);                                  \
    if (!symbol) continue;                                                             \
    api.name = reinterpret_cast<name##Fn*>(symbol);                                    \
    if (strcmp(#name, "NewKernelBuilder") == 0) provider = library_of(library, symbol); \
    break;                                                                             \
  }                                                                                    \
  if (!api.name) missing += std::string(missing.empty() ? "" : ", ") + "TF_" #name;
  LSTM_STUDIO_TF_API(LSTM_STUDIO_TF_API_RESOLVE)
#undef LSTM_STUDIO_TF_API_RESOLVE
  if (!missing.empty()) {
    write(source, source_size, missing);
    return false;
  }
  tf = api;
  write(source, source_size, base_name(provider));
  return true;
}

}  // namespace tfapi
