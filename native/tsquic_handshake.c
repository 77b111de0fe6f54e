/*
 * tsquic's native handshake primitives: HMAC-SHA256/384, HKDF-Expand and HKDF-Expand-Label
 * (RFC 2104, RFC 5869 §2.3, RFC 8446 §7.1) and X25519 (RFC 7748) on OpenSSL through N-API.
 *
 * Why: a handshake pair runs about a hundred HMACs (HKDF for every packet protector and the key
 * schedule, stateless reset tokens), and node:crypto builds a Hmac object and Buffers for each;
 * X25519 through node:crypto goes through KeyObjects and the DER encoders. Here each is one call
 * into C that writes into the caller's Uint8Array (src/crypto/native-handshake.ts).
 *
 * As in tsquic_native.c nothing is linked: OpenSSL resolves from the node binary. Every function
 * checks its arguments; misuse by the TypeScript wrapper throws a TypeError or RangeError.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include "tsquic_args.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define MAX_HASH 48
#define MAX_BLOCK 128
#define X25519_LENGTH 32
/* HkdfLabel (RFC 8446 §7.1): uint16 length, label<7..255>, context<0..255>. */
#define MAX_HKDF_LABEL (2 + 1 + 255 + 1 + 255)

enum { HASH_SHA256 = 0, HASH_SHA384 = 1 };

/* ---- digests -------------------------------------------------------------------------------- */

/* The digests, fetched once for the process (OpenSSL 3: an explicit fetch spares every
 * EVP_DigestInit_ex the implicit one a legacy EVP_sha256() pointer costs). EVP_MD objects are
 * shared safely between threads, so workers loading this addon use the same ones. */
static const EVP_MD *digests[2];
static pthread_once_t digests_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void) {
#if OPENSSL_VERSION_MAJOR >= 3
  digests[HASH_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
  digests[HASH_SHA384] = EVP_MD_fetch(NULL, "SHA2-384", NULL);
#endif
  if (digests[HASH_SHA256] == NULL) digests[HASH_SHA256] = EVP_sha256();
  if (digests[HASH_SHA384] == NULL) digests[HASH_SHA384] = EVP_sha384();
}

typedef struct {
  const EVP_MD *md;
  size_t hash_len;
  size_t block_len;
} hash_t;

static int hash_of(uint32_t alg, hash_t *h) {
  if (alg > HASH_SHA384) return 0;
  h->md = digests[alg];
  h->hash_len = alg == HASH_SHA256 ? 32 : 48;
  h->block_len = alg == HASH_SHA256 ? 64 : 128;
  return h->md != NULL;
}

/* An HMAC key (RFC 2104 §2): K XOR ipad and K XOR opad, one block each. */
typedef struct {
  unsigned char ipad[MAX_BLOCK];
  unsigned char opad[MAX_BLOCK];
} hmac_key_t;

static int hmac_key(EVP_MD_CTX *ctx, const hash_t *h, const unsigned char *key, size_t key_len,
                    hmac_key_t *k) {
  unsigned char k0[MAX_BLOCK] = {0};
  /* RFC 2104 §2: a key longer than the block is hashed first. */
  if (key_len > h->block_len) {
    unsigned int n;
    if (EVP_DigestInit_ex(ctx, h->md, NULL) != 1 || EVP_DigestUpdate(ctx, key, key_len) != 1 ||
        EVP_DigestFinal_ex(ctx, k0, &n) != 1) {
      return 0;
    }
  } else if (key_len > 0) {
    memcpy(k0, key, key_len);
  }
  for (size_t i = 0; i < h->block_len; i++) {
    k->ipad[i] = k0[i] ^ 0x36;
    k->opad[i] = k0[i] ^ 0x5c;
  }
  OPENSSL_cleanse(k0, sizeof k0);
  return 1;
}

/* HMAC(K, a || b || c) = H(K ^ opad || H(K ^ ipad || a || b || c)); any part may be empty. */
static int hmac3(EVP_MD_CTX *ctx, const hash_t *h, const hmac_key_t *k, const unsigned char *a,
                 size_t a_len, const unsigned char *b, size_t b_len, const unsigned char *c,
                 size_t c_len, unsigned char *out) {
  unsigned char inner[MAX_HASH];
  unsigned int n;
  if (EVP_DigestInit_ex(ctx, h->md, NULL) != 1 ||
      EVP_DigestUpdate(ctx, k->ipad, h->block_len) != 1 ||
      (a_len > 0 && EVP_DigestUpdate(ctx, a, a_len) != 1) ||
      (b_len > 0 && EVP_DigestUpdate(ctx, b, b_len) != 1) ||
      (c_len > 0 && EVP_DigestUpdate(ctx, c, c_len) != 1) || EVP_DigestFinal_ex(ctx, inner, &n) != 1) {
    return 0;
  }
  return EVP_DigestInit_ex(ctx, h->md, NULL) == 1 &&
         EVP_DigestUpdate(ctx, k->opad, h->block_len) == 1 &&
         EVP_DigestUpdate(ctx, inner, h->hash_len) == 1 && EVP_DigestFinal_ex(ctx, out, &n) == 1;
}

/*
 * HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) || info || i), OKM = the first `len`
 * bytes of T(1) || T(2) || ...; the caller checks len <= 255 * HashLen.
 */
static int hkdf_expand(const hash_t *h, const unsigned char *prk, size_t prk_len,
                       const unsigned char *info, size_t info_len, unsigned char *out,
                       size_t len) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL) return 0;
  hmac_key_t k;
  unsigned char t[MAX_HASH];
  size_t t_len = 0;
  int ok = hmac_key(ctx, h, prk, prk_len, &k);
  for (size_t filled = 0, i = 1; ok && filled < len; i++) {
    unsigned char counter = (unsigned char)i;
    ok = hmac3(ctx, h, &k, t, t_len, info, info_len, &counter, 1, t);
    t_len = h->hash_len;
    size_t n = len - filled < t_len ? len - filled : t_len;
    memcpy(out + filled, t, n);
    filled += n;
  }
  OPENSSL_cleanse(&k, sizeof k);
  OPENSSL_cleanse(t, sizeof t);
  EVP_MD_CTX_free(ctx);
  return ok;
}

/* ---- argument helpers ----------------------------------------------------------------------- */

static int fail_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return 0;
}

static int fail_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return 0;
}

static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  return typed_arg(env, v, napi_uint8_array, "expected a Uint8Array", (void **)data, len);
}

static int get_hash(napi_env env, napi_value v, hash_t *h) {
  uint32_t alg;
  if (napi_get_value_uint32(env, v, &alg) != napi_ok || !hash_of(alg, h)) {
    return fail_type(env, "unknown hash");
  }
  return 1;
}

static napi_value make_bool(napi_env env, int b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

/* ---- HMAC and HKDF -------------------------------------------------------------------------- */

/* hmac(alg, key, data, out) -> undefined: out (HashLen bytes) = HMAC-Hash(key, data). */
static napi_value js_hmac(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hash_t h;
  unsigned char *key, *data, *out;
  size_t key_len, data_len, out_len;
  if (argc < 4 || !get_hash(env, argv[0], &h) || !get_bytes(env, argv[1], &key, &key_len) ||
      !get_bytes(env, argv[2], &data, &data_len) || !get_bytes(env, argv[3], &out, &out_len)) {
    return NULL;
  }
  if (out_len != h.hash_len) {
    fail_range(env, "the HMAC output must be HashLen bytes");
    return NULL;
  }
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  hmac_key_t k;
  int ok = ctx != NULL && hmac_key(ctx, &h, key, key_len, &k) &&
           hmac3(ctx, &h, &k, data, data_len, NULL, 0, NULL, 0, out);
  OPENSSL_cleanse(&k, sizeof k);
  EVP_MD_CTX_free(ctx);
  if (!ok) napi_throw_error(env, NULL, "HMAC failed in OpenSSL");
  return NULL;
}

/* hkdfExpand(alg, prk, info, out) -> undefined: out = HKDF-Expand(prk, info, out.length). */
static napi_value js_hkdf_expand(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hash_t h;
  unsigned char *prk, *inf, *out;
  size_t prk_len, info_len, out_len;
  if (argc < 4 || !get_hash(env, argv[0], &h) || !get_bytes(env, argv[1], &prk, &prk_len) ||
      !get_bytes(env, argv[2], &inf, &info_len) || !get_bytes(env, argv[3], &out, &out_len)) {
    return NULL;
  }
  if (out_len > 255 * h.hash_len) {
    fail_range(env, "HKDF-Expand length out of range");
    return NULL;
  }
  if (!hkdf_expand(&h, prk, prk_len, inf, info_len, out, out_len)) {
    napi_throw_error(env, NULL, "HKDF-Expand failed in OpenSSL");
  }
  return NULL;
}

/*
 * hkdfExpandLabel(alg, secret, label, context, out) -> undefined:
 * out = HKDF-Expand-Label(secret, label, context, out.length) of RFC 8446 §7.1, where `label`
 * is the full label ("tls13 " included) as bytes.
 */
static napi_value js_hkdf_expand_label(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hash_t h;
  unsigned char *secret, *label, *context, *out;
  size_t secret_len, label_len, context_len, out_len;
  if (argc < 5 || !get_hash(env, argv[0], &h) ||
      !get_bytes(env, argv[1], &secret, &secret_len) ||
      !get_bytes(env, argv[2], &label, &label_len) ||
      !get_bytes(env, argv[3], &context, &context_len) ||
      !get_bytes(env, argv[4], &out, &out_len)) {
    return NULL;
  }
  if (label_len > 255 || context_len > 255 || out_len > 255 * h.hash_len) {
    fail_range(env, "HKDF-Expand-Label label, context or length out of range");
    return NULL;
  }
  /* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel; */
  unsigned char hkdf_label[MAX_HKDF_LABEL];
  size_t n = 0;
  hkdf_label[n++] = (unsigned char)(out_len >> 8);
  hkdf_label[n++] = (unsigned char)out_len;
  hkdf_label[n++] = (unsigned char)label_len;
  memcpy(hkdf_label + n, label, label_len);
  n += label_len;
  hkdf_label[n++] = (unsigned char)context_len;
  memcpy(hkdf_label + n, context, context_len);
  n += context_len;
  if (!hkdf_expand(&h, secret, secret_len, hkdf_label, n, out, out_len)) {
    napi_throw_error(env, NULL, "HKDF-Expand-Label failed in OpenSSL");
  }
  return NULL;
}

/* ---- X25519 (RFC 7748) ---------------------------------------------------------------------- */

static void x25519_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free((EVP_PKEY *)data);
}

/* x25519Generate(publicKey: Uint8Array(32), privateKey?: Uint8Array(32)) -> handle: a private
 * key, fresh from OpenSSL's generator or the one given (known-answer tests), its public key
 * written to `publicKey`. The handle frees the key when collected. */
static napi_value js_x25519_generate(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  unsigned char *pub, *given = NULL;
  size_t pub_len, given_len = 0;
  napi_valuetype t = napi_undefined;
  if (argc < 1 || !get_bytes(env, argv[0], &pub, &pub_len)) return NULL;
  if (argc > 1 && napi_typeof(env, argv[1], &t) == napi_ok && t != napi_undefined &&
      !get_bytes(env, argv[1], &given, &given_len)) {
    return NULL;
  }
  if (pub_len != X25519_LENGTH || (given != NULL && given_len != X25519_LENGTH)) {
    fail_range(env, "X25519 keys are 32 bytes");
    return NULL;
  }
  unsigned char priv[X25519_LENGTH];
  EVP_PKEY *key = NULL;
  size_t n = X25519_LENGTH;
  if (given != NULL) memcpy(priv, given, X25519_LENGTH);
  /* RFC 7748 §6.1: 32 random bytes; OpenSSL clamps them and computes the public key. */
  int ok = (given != NULL || RAND_bytes(priv, sizeof priv) == 1) &&
           (key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, sizeof priv)) != NULL &&
           EVP_PKEY_get_raw_public_key(key, pub, &n) == 1 && n == X25519_LENGTH;
  OPENSSL_cleanse(priv, sizeof priv);
  napi_value handle;
  if (!ok || napi_create_external(env, key, x25519_free, NULL, &handle) != napi_ok) {
    EVP_PKEY_free(key);
    napi_throw_error(env, NULL, "X25519 key generation failed in OpenSSL");
    return NULL;
  }
  return handle;
}

/* x25519Derive(handle, peerPublicKey, out: Uint8Array(32)) -> boolean: the shared secret into
 * `out`; false when OpenSSL refuses the peer's key or the result is all zeros (a low-order
 * point, RFC 7748 §6.1, RFC 8446 §7.4.2). */
static napi_value js_x25519_derive(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  EVP_PKEY *key;
  unsigned char *peer, *out;
  size_t peer_len, out_len;
  if (argc < 3 || napi_get_value_external(env, argv[0], (void **)&key) != napi_ok ||
      key == NULL) {
    fail_type(env, "expected an X25519 handle");
    return NULL;
  }
  if (!get_bytes(env, argv[1], &peer, &peer_len) || !get_bytes(env, argv[2], &out, &out_len)) {
    return NULL;
  }
  if (out_len != X25519_LENGTH) {
    fail_range(env, "an X25519 shared secret is 32 bytes");
    return NULL;
  }
  if (peer_len != X25519_LENGTH) return make_bool(env, 0);
  EVP_PKEY *peer_key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
  EVP_PKEY_CTX *ctx = peer_key != NULL ? EVP_PKEY_CTX_new(key, NULL) : NULL;
  size_t n = X25519_LENGTH;
  int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
           EVP_PKEY_derive_set_peer(ctx, peer_key) == 1 && EVP_PKEY_derive(ctx, out, &n) == 1 &&
           n == X25519_LENGTH;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer_key);
  unsigned char acc = 0;
  for (size_t i = 0; i < X25519_LENGTH; i++) acc |= out[i];
  if (!ok || acc == 0) {
    memset(out, 0, out_len);
    return make_bool(env, 0);
  }
  return make_bool(env, 1);
}

/* ---- registration --------------------------------------------------------------------------- */

/* Called from tsquic_native.c's module init. */
void tsquic_handshake_register(napi_env env, napi_value exports) {
  pthread_once(&digests_once, fetch_digests);
  napi_property_descriptor props[] = {
      {"hmac", NULL, js_hmac, NULL, NULL, NULL, napi_default, NULL},
      {"hkdfExpand", NULL, js_hkdf_expand, NULL, NULL, NULL, napi_default, NULL},
      {"hkdfExpandLabel", NULL, js_hkdf_expand_label, NULL, NULL, NULL, napi_default, NULL},
      {"x25519Generate", NULL, js_x25519_generate, NULL, NULL, NULL, napi_default, NULL},
      {"x25519Derive", NULL, js_x25519_derive, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
