/*
 * lstm_studio_stdio: lets the engine send the process's native stderr (file descriptor 2)
 * to a file while TensorFlow loads, so the notices TensorFlow prints at load time
 * (absl's "All log messages before absl::InitializeLog()…" and oneDNN's "custom operations
 * are on") can be filtered out before the rest is written back. It does not link
 * TensorFlow, so it can be loaded before it. POSIX only; elsewhere both calls do nothing.
 *
 *   redirect(path) -> saved descriptor (or -1)   restore(saved) -> undefined
 */
#include <node_api.h>
#include <stdio.h>

#if defined(_WIN32)
static int redirect_to(const char* path) {
  (void)path;
  return -1;
}
static void restore_from(int saved) { (void)saved; }
#else
#include <fcntl.h>
#include <unistd.h>
static int redirect_to(const char* path) {
  fflush(stderr);
  int saved = dup(2);
  if (saved < 0) return -1;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || dup2(fd, 2) < 0) {
    if (fd >= 0) close(fd);
    close(saved);
    return -1;
  }
  close(fd);
  return saved;
}
static void restore_from(int saved) {
  if (saved < 0) return;
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
}
#endif

static napi_value redirect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t length = 0;
  napi_value result;
  int saved = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) == napi_ok &&
      length < sizeof path - 1)
    saved = redirect_to(path);
  napi_create_int32(env, saved, &result);
  return result;
}

static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int saved = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1)
    napi_get_value_int32(env, argv[0], &saved);
  restore_from(saved);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "redirect", NAPI_AUTO_LENGTH, redirect, NULL, &fn);
  napi_set_named_property(env, exports, "redirect", fn);
  napi_create_function(env, "restore", NAPI_AUTO_LENGTH, restore, NULL, &fn);
  napi_set_named_property(env, exports, "restore", fn);
  return exports;
}
