/*
 * peerCredentials(fd) -> { pid, uid, gid }
 *
 * The observer identifies its callers by the process on the other end of the unix socket
 * (SO_PEERCRED), exactly as the original Python daemon did. Node has no API for it, so this
 * is the smallest possible N-API addon: one getsockopt() call on the accepted socket's fd.
 * The kernel reports the credentials of the process that called connect(), translated into
 * the daemon's pid namespace (host pids for processes inside containers).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

#define CHECK(env, call)                                                      \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error((env), "ERR_KOLEJKA_NAPI", "N-API call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

static napi_value set_number(napi_env env, napi_value object, const char* name, double value) {
  napi_value number;
  CHECK(env, napi_create_double(env, value, &number));
  CHECK(env, napi_set_named_property(env, object, name, number));
  return object;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "peerCredentials(fd): fd is required");
    return NULL;
  }
  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[0], &type));
  if (type != napi_number) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "peerCredentials(fd): fd must be a number");
    return NULL;
  }
  int32_t fd;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  if (fd < 0) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "peerCredentials(fd): fd must be >= 0");
    return NULL;
  }

  struct ucred credentials;
  socklen_t length = sizeof(credentials);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    int error = errno;
    char message[160];
    snprintf(message, sizeof(message), "getsockopt(%d, SO_PEERCRED) failed: %s (errno %d)", fd,
             strerror(error), error);
    napi_throw_error(env, "ERR_KOLEJKA_PEERCRED", message);
    return NULL;
  }

  napi_value result;
  CHECK(env, napi_create_object(env, &result));
  if (set_number(env, result, "pid", (double)credentials.pid) == NULL) return NULL;
  if (set_number(env, result, "uid", (double)credentials.uid) == NULL) return NULL;
  if (set_number(env, result, "gid", (double)credentials.gid) == NULL) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_value function;
  CHECK(env, napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials,
                                  NULL, &function));
  CHECK(env, napi_set_named_property(env, exports, "peerCredentials", function));
  return exports;
}
