/*
 * Argument checks shared by the addon's source files: a typed array argument of one element
 * type, with a TypeError thrown (and 0 returned) otherwise.
 */
#ifndef TSQUIC_ARGS_H
#define TSQUIC_ARGS_H

#include <node_api.h>
#include <stddef.h>

/* `v` as a typed array of `want` elements: its data and element count; else throws `message`. */
static inline int typed_arg(napi_env env, napi_value v, napi_typedarray_type want,
                            const char *message, void **data, size_t *len) {
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  return 1;
}

#endif
