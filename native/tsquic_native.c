/*
 * tsquic's optional native backend: QUIC packet protection on OpenSSL through N-API (the
 * module's entry point; tsquic_udp.c adds the UDP socket, tsquic_handshake.c HMAC, HKDF and
 * X25519, tsquic_mlkem.c ML-KEM-768).
 *
 * Why it exists: node:crypto cannot give a GCM or ChaCha20-Poly1305 cipher a new IV, so every
 * packet pays for a new Cipheriv and fresh output Buffers (about 5 us per 1,200-byte packet).
 * Here each key owns one EVP_CIPHER_CTX per direction, keyed once; a packet only sets its nonce
 * (RFC 9001 §5.3) and runs in place on the caller's buffer. Batch calls protect N packets of
 * one buffer per crossing into C.
 *
 * Nothing is linked: the N-API and OpenSSL symbols resolve from the node binary that loads
 * this file, so the OpenSSL headers must be the ones node ships (<nodedir>/include/node).
 * Every function validates its arguments and bounds and returns an error code rather than
 * touching memory outside the caller's views; misuse by the TypeScript wrapper throws.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include "tsquic_args.h"
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_LENGTH 16
#define NONCE_LENGTH 12
#define SAMPLE_LENGTH 16
#define MASK_LENGTH 5

enum { ALG_AES_128_GCM = 0, ALG_AES_256_GCM = 1, ALG_CHACHA20_POLY1305 = 2 };
enum { HP_AES_128 = 0, HP_AES_256 = 1, HP_CHACHA20 = 2 };

/* An AEAD key: one context per direction, keyed on first use (a key is sealed with or opened
 * with, rarely both). */
typedef struct {
  const EVP_CIPHER *cipher;
  unsigned char key[32];
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
} aead_t;

/* Header protection: an AES-ECB context, or the ChaCha20 key words (the block function runs
 * here: re-IVing an OpenSSL ChaCha20 context per 16-byte sample costs as much as the
 * JavaScript block). */
typedef struct {
  int alg;
  EVP_CIPHER_CTX *ctx;
  uint32_t chacha_key[8];
} hp_t;

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- argument helpers ------------------------------------------------------------------- */

static int throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return 0;
}

/* A Uint8Array (or a Buffer, or another byte-sized typed array) argument as bytes. */
static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok) {
    return throw_type(env, "expected a typed array");
  }
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      break;
    default:
      return throw_type(env, "expected a Uint8Array");
  }
  *data = (unsigned char *)ptr;
  *len = length;
  return 1;
}

static int get_u32_array(napi_env env, napi_value v, uint32_t **data, size_t *len) {
  return typed_arg(env, v, napi_uint32_array, "expected a Uint32Array", (void **)data, len);
}

static int get_i32_array(napi_env env, napi_value v, int32_t **data, size_t *len) {
  return typed_arg(env, v, napi_int32_array, "expected an Int32Array", (void **)data, len);
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) return throw_type(env, "expected a number");
  return 1;
}

static int get_handle(napi_env env, napi_value v, void **out) {
  if (napi_get_value_external(env, v, out) != napi_ok || *out == NULL) {
    return throw_type(env, "expected a tsquic native handle");
  }
  return 1;
}

static napi_value make_int(napi_env env, int32_t n) {
  napi_value r;
  napi_create_int32(env, n, &r);
  return r;
}

/* One algorithm a handle can be made for: its code from JavaScript, its cipher, its key length. */
typedef struct {
  uint32_t code;
  const EVP_CIPHER *(*cipher)(void);
  size_t key_len;
} cipher_choice_t;

/* The (alg, key) arguments of aeadNew and hpNew: the choice `alg` names among `n`, with a key of
 * its length in `*key`; NULL with a TypeError pending otherwise. `what` names the kind of key. */
static const cipher_choice_t *choice_args(napi_env env, napi_callback_info info,
                                          const cipher_choice_t *choices, size_t n,
                                          const char *what, unsigned char **key) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t alg;
  size_t key_len;
  if (argc < 2 || !get_u32(env, argv[0], &alg) || !get_bytes(env, argv[1], key, &key_len)) {
    return NULL;
  }
  char msg[64];
  for (size_t i = 0; i < n; i++) {
    if (choices[i].code != alg) continue;
    if (key_len != choices[i].key_len || choices[i].cipher() == NULL) {
      snprintf(msg, sizeof msg, "bad %s key length", what);
      throw_type(env, msg);
      return NULL;
    }
    return &choices[i];
  }
  snprintf(msg, sizeof msg, "unknown %s", what);
  throw_type(env, msg);
  return NULL;
}

/* A JavaScript handle owning `data`, which `fin` frees when the handle is collected. */
static napi_value make_handle(napi_env env, void *data, napi_finalize fin) {
  napi_value handle;
  if (napi_create_external(env, data, fin, NULL, &handle) != napi_ok) {
    fin(env, data, NULL);
    return NULL;
  }
  return handle;
}

/* ---- AEAD --------------------------------------------------------------------------------- */

static void aead_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_t *a = (aead_t *)data;
  EVP_CIPHER_CTX_free(a->enc);
  EVP_CIPHER_CTX_free(a->dec);
  OPENSSL_cleanse(a->key, sizeof a->key);
  free(a);
}

static const cipher_choice_t AEAD_CHOICES[] = {
    {ALG_AES_128_GCM, EVP_aes_128_gcm, 16},
    {ALG_AES_256_GCM, EVP_aes_256_gcm, 32},
    {ALG_CHACHA20_POLY1305, EVP_chacha20_poly1305, 32},
};

/* aeadNew(alg, key) -> handle */
static napi_value aead_new(napi_env env, napi_callback_info info) {
  unsigned char *key;
  const cipher_choice_t *c = choice_args(env, info, AEAD_CHOICES, 3, "AEAD", &key);
  if (c == NULL) return NULL;
  aead_t *a = (aead_t *)calloc(1, sizeof *a);
  if (a == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  a->cipher = c->cipher();
  memcpy(a->key, key, c->key_len);
  return make_handle(env, a, aead_free);
}

/* The context of one direction, keyed on first use. The default IV length of all three
 * AEADs is 12 bytes, the QUIC nonce length (RFC 9001 §5.3). */
static EVP_CIPHER_CTX *aead_ctx(aead_t *a, int enc) {
  EVP_CIPHER_CTX **slot = enc ? &a->enc : &a->dec;
  if (*slot != NULL) return *slot;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  if (EVP_CipherInit_ex(ctx, a->cipher, NULL, a->key, NULL, enc) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  *slot = ctx;
  return ctx;
}

/* Seals len bytes of in into out (may be the same memory), tag after the ciphertext. */
static int seal_one(EVP_CIPHER_CTX *ctx, const unsigned char *nonce, const unsigned char *aad,
                    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out) {
  int n;
  if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1) return 0;
  if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) return 0;
  if (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1) return 0;
  if (EVP_EncryptFinal_ex(ctx, out + len, &n) != 1) return 0;
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, out + len) == 1;
}

/* Opens len bytes of ciphertext (the tag follows them in `in`) into out. On failure the
 * output memory holds garbage; callers restore it (see open_restoring). */
static int open_one(EVP_CIPHER_CTX *ctx, const unsigned char *nonce, const unsigned char *aad,
                    size_t aad_len, const unsigned char *in, size_t len, unsigned char *out) {
  int n;
  unsigned char tag[TAG_LENGTH];
  /* The tag is copied first: decrypting in place with a shifted output could overwrite it. */
  memcpy(tag, in + len, TAG_LENGTH);
  if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1) return 0;
  if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1) return 0;
  if (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)len) != 1) return 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag) != 1) return 0;
  return EVP_DecryptFinal_ex(ctx, out + len, &n) == 1;
}

/*
 * Opens, and on authentication failure leaves the ciphertext as it was (a packet that fails
 * may still be a Stateless Reset, RFC 9000 §10.3.1, or open under another key phase). In
 * place, the stream cipher is its own inverse: encrypting the garbage again under the same
 * nonce gives the ciphertext back, so the common case copies nothing. Returns the plaintext
 * length or -1.
 */
static int32_t open_restoring(aead_t *a, const unsigned char *nonce, const unsigned char *aad,
                              size_t aad_len, unsigned char *in, size_t len, unsigned char *out) {
  EVP_CIPHER_CTX *dec = aead_ctx(a, 0);
  if (dec == NULL) return -1;
  int overlap = out < in + len + TAG_LENGTH && in < out + len;
  if (overlap && out != in) {
    /* Shifted in-place output: decrypt into a scratch copy, move on success. */
    unsigned char *tmp = (unsigned char *)malloc(len > 0 ? len : 1);
    if (tmp == NULL) return -1;
    int ok = open_one(dec, nonce, aad, aad_len, in, len, tmp);
    if (ok) memmove(out, tmp, len);
    free(tmp);
    return ok ? (int32_t)len : -1;
  }
  if (open_one(dec, nonce, aad, aad_len, in, len, out)) return (int32_t)len;
  if (out == in && len > 0) {
    EVP_CIPHER_CTX *enc = aead_ctx(a, 1);
    int n;
    if (enc == NULL || EVP_EncryptInit_ex(enc, NULL, NULL, NULL, nonce) != 1 ||
        EVP_EncryptUpdate(enc, out, &n, out, (int)len) != 1) {
      return -1;
    }
  }
  return -1;
}

/* aeadSeal(h, nonce, aad, plaintext, out, outOffset) -> bytes written (plaintext + 16) */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_t *a;
  unsigned char *nonce, *aad, *pt, *out;
  size_t nonce_len, aad_len, pt_len, out_len;
  uint32_t off;
  if (argc < 6 || !get_handle(env, argv[0], (void **)&a) ||
      !get_bytes(env, argv[1], &nonce, &nonce_len) || !get_bytes(env, argv[2], &aad, &aad_len) ||
      !get_bytes(env, argv[3], &pt, &pt_len) || !get_bytes(env, argv[4], &out, &out_len) ||
      !get_u32(env, argv[5], &off)) {
    return NULL;
  }
  if (nonce_len != NONCE_LENGTH) {
    throw_type(env, "the nonce must be 12 bytes");
    return NULL;
  }
  if (off > out_len || out_len - off < pt_len + TAG_LENGTH || pt_len > INT32_MAX - TAG_LENGTH) {
    napi_throw_range_error(env, NULL, "no room for the ciphertext and tag");
    return NULL;
  }
  EVP_CIPHER_CTX *enc = aead_ctx(a, 1);
  if (enc == NULL || !seal_one(enc, nonce, aad, aad_len, pt, pt_len, out + off)) {
    napi_throw_error(env, NULL, "AEAD seal failed in OpenSSL");
    return NULL;
  }
  return make_int(env, (int32_t)(pt_len + TAG_LENGTH));
}

/* aeadOpen(h, nonce, aad, ciphertext, out, outOffset) -> plaintext length or -1 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_t *a;
  unsigned char *nonce, *aad, *ct, *out;
  size_t nonce_len, aad_len, ct_len, out_len;
  uint32_t off;
  if (argc < 6 || !get_handle(env, argv[0], (void **)&a) ||
      !get_bytes(env, argv[1], &nonce, &nonce_len) || !get_bytes(env, argv[2], &aad, &aad_len) ||
      !get_bytes(env, argv[3], &ct, &ct_len) || !get_bytes(env, argv[4], &out, &out_len) ||
      !get_u32(env, argv[5], &off)) {
    return NULL;
  }
  if (nonce_len != NONCE_LENGTH) {
    throw_type(env, "the nonce must be 12 bytes");
    return NULL;
  }
  if (ct_len < TAG_LENGTH || ct_len > INT32_MAX) return make_int(env, -1);
  size_t len = ct_len - TAG_LENGTH;
  if (off > out_len || out_len - off < len) {
    napi_throw_range_error(env, NULL, "no room for the plaintext");
    return NULL;
  }
  return make_int(env, open_restoring(a, nonce, aad, aad_len, ct, len, out + off));
}

/*
 * The batch layout shared by seal and open: packet i of `buf` is described by three offsets,
 * offsets[3i] = start of the header (the AAD), offsets[3i+1] = start of the payload,
 * offsets[3i+2] = end of the plaintext for seal (the tag goes after it) or end of the packet,
 * tag included, for open. Its nonce is nonces[12i .. 12i+12).
 */
static int batch_args(napi_env env, napi_value *argv, aead_t **a, unsigned char **buf,
                      size_t *buf_len, uint32_t **offsets, unsigned char **nonces,
                      uint32_t *count) {
  size_t offsets_len, nonces_len;
  if (!get_handle(env, argv[0], (void **)a) || !get_bytes(env, argv[1], buf, buf_len) ||
      !get_u32_array(env, argv[2], offsets, &offsets_len) ||
      !get_bytes(env, argv[3], nonces, &nonces_len) || !get_u32(env, argv[4], count)) {
    return 0;
  }
  if ((size_t)*count * 3 > offsets_len || (size_t)*count * NONCE_LENGTH > nonces_len) {
    napi_throw_range_error(env, NULL, "count exceeds the offsets or nonces given");
    return 0;
  }
  return 1;
}

/* aeadSealBatch(h, buf, offsets, nonces, count) -> undefined; throws on bad offsets. */
static napi_value aead_seal_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_t *a;
  unsigned char *buf, *nonces;
  size_t buf_len;
  uint32_t *o, count;
  if (argc < 5 || !batch_args(env, argv, &a, &buf, &buf_len, &o, &nonces, &count)) return NULL;
  EVP_CIPHER_CTX *enc = aead_ctx(a, 1);
  if (enc == NULL) {
    napi_throw_error(env, NULL, "AEAD context failed in OpenSSL");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    uint32_t h = o[3 * i], p = o[3 * i + 1], e = o[3 * i + 2];
    if (h > p || p > e || (size_t)e + TAG_LENGTH > buf_len) {
      napi_throw_range_error(env, NULL, "bad packet offsets (or no room for the tag)");
      return NULL;
    }
    if (!seal_one(enc, nonces + NONCE_LENGTH * i, buf + h, p - h, buf + p, e - p, buf + p)) {
      napi_throw_error(env, NULL, "AEAD seal failed in OpenSSL");
      return NULL;
    }
  }
  return NULL;
}

/* aeadOpenBatch(h, buf, offsets, nonces, count, results: Int32Array) -> failures;
 * results[i] = plaintext length of packet i, or -1 (its ciphertext left as it was). */
static napi_value aead_open_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_t *a;
  unsigned char *buf, *nonces;
  size_t buf_len, results_len;
  uint32_t *o, count;
  int32_t *results;
  if (argc < 6 || !batch_args(env, argv, &a, &buf, &buf_len, &o, &nonces, &count) ||
      !get_i32_array(env, argv[5], &results, &results_len)) {
    return NULL;
  }
  if (count > results_len) {
    napi_throw_range_error(env, NULL, "count exceeds the results array");
    return NULL;
  }
  int32_t failures = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t h = o[3 * i], p = o[3 * i + 1], e = o[3 * i + 2];
    int32_t r = -1;
    if (h <= p && p <= e && e <= buf_len && e - p >= TAG_LENGTH) {
      r = open_restoring(a, nonces + NONCE_LENGTH * i, buf + h, p - h, buf + p,
                         e - p - TAG_LENGTH, buf + p);
    }
    results[i] = r;
    if (r < 0) failures++;
  }
  return make_int(env, failures);
}

/* ---- header protection (RFC 9001 §5.4) ---------------------------------------------------- */

static void hp_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  hp_t *h = (hp_t *)data;
  EVP_CIPHER_CTX_free(h->ctx);
  OPENSSL_cleanse(h->chacha_key, sizeof h->chacha_key);
  free(h);
}

static const cipher_choice_t HP_CHOICES[] = {
    {HP_AES_128, EVP_aes_128_ecb, 16},
    {HP_AES_256, EVP_aes_256_ecb, 32},
    {HP_CHACHA20, EVP_chacha20, 32},
};

/* hpNew(alg, key) -> handle */
static napi_value hp_new(napi_env env, napi_callback_info info) {
  unsigned char *key;
  const cipher_choice_t *c = choice_args(env, info, HP_CHOICES, 3, "header protection", &key);
  if (c == NULL) return NULL;
  hp_t *h = (hp_t *)calloc(1, sizeof *h);
  if (h == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  h->alg = (int)c->code;
  if (c->code == HP_CHACHA20) {
    for (int i = 0; i < 8; i++) h->chacha_key[i] = le32(key + 4 * i);
  } else {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, c->cipher(), NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      free(h);
      napi_throw_error(env, NULL, "header protection context failed in OpenSSL");
      return NULL;
    }
    h->ctx = ctx;
  }
  return make_handle(env, h, hp_free);
}

#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QUARTER(a, b, c, d)                                                                  \
  a += b, d ^= a, d = ROTL32(d, 16), c += d, b ^= c, b = ROTL32(b, 12), a += b, d ^= a,      \
      d = ROTL32(d, 8), c += d, b ^= c, b = ROTL32(b, 7)

/* The first 5 bytes of the ChaCha20 block (RFC 8439 §2.3) for a key, a 32-bit block counter
 * and a 96-bit nonce: RFC 9001 §5.4.4 takes counter and nonce from the sample. */
static void chacha20_mask(const uint32_t key[8], const unsigned char *sample,
                          unsigned char *mask) {
  uint32_t in[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++) in[4 + i] = key[i];
  for (int i = 0; i < 4; i++) in[12 + i] = le32(sample + 4 * i);
  uint32_t x[16];
  memcpy(x, in, sizeof x);
  for (int i = 0; i < 10; i++) {
    QUARTER(x[0], x[4], x[8], x[12]);
    QUARTER(x[1], x[5], x[9], x[13]);
    QUARTER(x[2], x[6], x[10], x[14]);
    QUARTER(x[3], x[7], x[11], x[15]);
    QUARTER(x[0], x[5], x[10], x[15]);
    QUARTER(x[1], x[6], x[11], x[12]);
    QUARTER(x[2], x[7], x[8], x[13]);
    QUARTER(x[3], x[4], x[9], x[14]);
  }
  uint32_t w0 = x[0] + in[0], w1 = x[1] + in[1];
  mask[0] = (unsigned char)w0;
  mask[1] = (unsigned char)(w0 >> 8);
  mask[2] = (unsigned char)(w0 >> 16);
  mask[3] = (unsigned char)(w0 >> 24);
  mask[4] = (unsigned char)w1;
}

/* mask = AES-ECB(hp_key, sample)[0..5) (RFC 9001 §5.4.3), or ChaCha20 keyed with hp_key whose
 * counter and nonce are the sample, run over five zero bytes (RFC 9001 §5.4.4). */
static int hp_mask_one(hp_t *h, const unsigned char *sample, unsigned char *mask) {
  int n;
  if (h->alg == HP_CHACHA20) {
    chacha20_mask(h->chacha_key, sample, mask);
    return 1;
  }
  unsigned char block[SAMPLE_LENGTH];
  if (EVP_EncryptUpdate(h->ctx, block, &n, sample, SAMPLE_LENGTH) != 1) return 0;
  memcpy(mask, block, MASK_LENGTH);
  return 1;
}

/* hpMask(h, buf, offset, mask) -> undefined: the mask of the sample buf[offset .. +16). */
static napi_value hp_mask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hp_t *h;
  unsigned char *buf, *mask;
  size_t buf_len, mask_len;
  uint32_t off;
  if (argc < 4 || !get_handle(env, argv[0], (void **)&h) ||
      !get_bytes(env, argv[1], &buf, &buf_len) || !get_u32(env, argv[2], &off) ||
      !get_bytes(env, argv[3], &mask, &mask_len)) {
    return NULL;
  }
  if (off > buf_len || buf_len - off < SAMPLE_LENGTH || mask_len < MASK_LENGTH) {
    napi_throw_range_error(env, NULL, "the sample needs 16 bytes and the mask 5");
    return NULL;
  }
  if (!hp_mask_one(h, buf + off, mask)) napi_throw_error(env, NULL, "header protection failed");
  return NULL;
}

/* hpMaskBatch(h, buf, sampleOffsets: Uint32Array, count, masks) -> undefined: the mask of
 * sample i goes to masks[5i .. 5i+5). */
static napi_value hp_mask_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hp_t *h;
  unsigned char *buf, *masks;
  size_t buf_len, offsets_len, masks_len;
  uint32_t *offsets, count;
  if (argc < 5 || !get_handle(env, argv[0], (void **)&h) ||
      !get_bytes(env, argv[1], &buf, &buf_len) ||
      !get_u32_array(env, argv[2], &offsets, &offsets_len) || !get_u32(env, argv[3], &count) ||
      !get_bytes(env, argv[4], &masks, &masks_len)) {
    return NULL;
  }
  if (count > offsets_len || (size_t)count * MASK_LENGTH > masks_len) {
    napi_throw_range_error(env, NULL, "count exceeds the offsets or masks given");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    uint32_t off = offsets[i];
    if (off > buf_len || buf_len - off < SAMPLE_LENGTH) {
      napi_throw_range_error(env, NULL, "a sample runs past the buffer");
      return NULL;
    }
    if (!hp_mask_one(h, buf + off, masks + MASK_LENGTH * i)) {
      napi_throw_error(env, NULL, "header protection failed");
      return NULL;
    }
  }
  return NULL;
}

/* The UDP socket of tsquic_udp.c. */
void tsquic_udp_register(napi_env env, napi_value exports);
/* HMAC, HKDF and X25519 of tsquic_handshake.c. */
void tsquic_handshake_register(napi_env env, napi_value exports);
/* ML-KEM-768 of tsquic_mlkem.c. */
void tsquic_mlkem_register(napi_env env, napi_value exports);

/* ---- module ------------------------------------------------------------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"aeadNew", NULL, aead_new, NULL, NULL, NULL, napi_default, NULL},
      {"aeadSeal", NULL, aead_seal, NULL, NULL, NULL, napi_default, NULL},
      {"aeadOpen", NULL, aead_open, NULL, NULL, NULL, napi_default, NULL},
      {"aeadSealBatch", NULL, aead_seal_batch, NULL, NULL, NULL, napi_default, NULL},
      {"aeadOpenBatch", NULL, aead_open_batch, NULL, NULL, NULL, napi_default, NULL},
      {"hpNew", NULL, hp_new, NULL, NULL, NULL, napi_default, NULL},
      {"hpMask", NULL, hp_mask, NULL, NULL, NULL, napi_default, NULL},
      {"hpMaskBatch", NULL, hp_mask_batch, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value version;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "openssl", version);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  tsquic_udp_register(env, exports);
  tsquic_handshake_register(env, exports);
  tsquic_mlkem_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
