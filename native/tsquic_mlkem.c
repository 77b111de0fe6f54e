/*
 * ML-KEM-768 (FIPS 203) for the X25519MLKEM768 key exchange (draft-ietf-tls-ecdhe-mlkem):
 * ML-KEM.KeyGen_internal (Algorithm 16), ML-KEM.Encaps_internal (Algorithm 17) with the
 * encapsulation key check of §7.2, and ML-KEM.Decaps (Algorithms 18 and 21) with the
 * decapsulation key check of §7.3 and implicit rejection.
 *
 * Why: Node 20's OpenSSL 3.0 has no ML-KEM, and the pure-JavaScript one (@noble/post-quantum)
 * costs about 2.4 ms of the ~5 ms of CPU a hybrid handshake pair takes. The hashes are
 * OpenSSL's (SHA3-256 = H, SHA3-512 = G, SHAKE128 = XOF, SHAKE256 = PRF and J, FIPS 203 §4.1),
 * resolved from the node binary like the rest of the addon; the lattice arithmetic is here.
 *
 * Representation: a polynomial is 256 coefficients, each kept fully reduced in [0, q) with
 * q = 3329. Products (< q^2) are reduced with Barrett's method (reduce below), never with `%`,
 * so no arithmetic on secrets depends on their values: no branch and no table index is
 * derived from a secret (the tables are indexed by loop counters only), the ciphertext
 * comparison of Decaps folds all bytes before looking at the result, and the choice between
 * K' and K-bar is a mask. The only data-dependent loop is SampleNTT's rejection sampling,
 * whose input (rho) is public.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include "tsquic_args.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define N 256
#define Q 3329
#define K 3 /* ML-KEM-768 (FIPS 203 §8, Table 2) */
#define ETA 2 /* eta1 = eta2 = 2 */
#define DU 10
#define DV 4

#define POLY_BYTES 384 /* ByteEncode_12 of one polynomial */
#define EK_BYTES (POLY_BYTES * K + 32)                     /* 1184 */
#define DK_PKE_BYTES (POLY_BYTES * K)                      /* 1152 */
#define DK_BYTES (DK_PKE_BYTES + EK_BYTES + 32 + 32)       /* 2400 */
#define C1_BYTES (32 * DU * K)                             /* 960 */
#define C2_BYTES (32 * DV)                                 /* 128 */
#define CT_BYTES (C1_BYTES + C2_BYTES)                     /* 1088 */
#define PRF_BYTES (64 * ETA)                               /* 128 */
#define XOF_BLOCK 168                                      /* SHAKE128's rate in bytes */

typedef struct {
  uint16_t c[N];
} poly;

/* ---- hashes (FIPS 203 §4.1) ----------------------------------------------------------------- */

static const EVP_MD *md_sha3_256, *md_sha3_512, *md_shake128, *md_shake256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

/* Fetched once for the process (as in tsquic_handshake.c); EVP_MD objects are shared safely
 * between threads. */
static void fetch_mds(void) {
#if OPENSSL_VERSION_MAJOR >= 3
  md_sha3_256 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
  md_sha3_512 = EVP_MD_fetch(NULL, "SHA3-512", NULL);
  md_shake128 = EVP_MD_fetch(NULL, "SHAKE128", NULL);
  md_shake256 = EVP_MD_fetch(NULL, "SHAKE256", NULL);
#endif
  if (md_sha3_256 == NULL) md_sha3_256 = EVP_sha3_256();
  if (md_sha3_512 == NULL) md_sha3_512 = EVP_sha3_512();
  if (md_shake128 == NULL) md_shake128 = EVP_shake128();
  if (md_shake256 == NULL) md_shake256 = EVP_shake256();
}

static int mds_ready(void) {
  pthread_once(&md_once, fetch_mds);
  return md_sha3_256 != NULL && md_sha3_512 != NULL && md_shake128 != NULL &&
         md_shake256 != NULL;
}

/* out = md(a || b), or the first out_len bytes of the XOF md(a || b); b may be empty. */
static int hash2(EVP_MD_CTX *ctx, const EVP_MD *md, const unsigned char *a, size_t a_len,
                 const unsigned char *b, size_t b_len, unsigned char *out, size_t out_len,
                 int xof) {
  unsigned int n;
  if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, a, a_len) != 1 ||
      (b_len > 0 && EVP_DigestUpdate(ctx, b, b_len) != 1)) {
    return 0;
  }
  return xof ? EVP_DigestFinalXOF(ctx, out, out_len) == 1
             : EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == out_len;
}

/* H(s) = SHA3-256(s). */
static int hash_h(EVP_MD_CTX *ctx, const unsigned char *s, size_t len, unsigned char out[32]) {
  return hash2(ctx, md_sha3_256, s, len, NULL, 0, out, 32, 0);
}

/* G(a || b) = SHA3-512(a || b), split by the callers into its two 32-byte halves. */
static int hash_g(EVP_MD_CTX *ctx, const unsigned char *a, size_t a_len, const unsigned char *b,
                  size_t b_len, unsigned char out[64]) {
  return hash2(ctx, md_sha3_512, a, a_len, b, b_len, out, 64, 0);
}

/* PRF_eta(s, b) = SHAKE256(s || b, 8 * 64 * eta bits). */
static int prf(EVP_MD_CTX *ctx, const unsigned char s[32], unsigned char b,
               unsigned char out[PRF_BYTES]) {
  return hash2(ctx, md_shake256, s, 32, &b, 1, out, PRF_BYTES, 1);
}

/* ---- arithmetic mod q ----------------------------------------------------------------------- */

/* floor(2^32 / q): Barrett's constant. */
#define BARRETT 1290167u

/* Keeps the compiler from turning mask arithmetic on secrets back into a branch. */
static inline uint32_t value_barrier(uint32_t x) {
#if defined(__GNUC__) || defined(__clang__)
  __asm__("" : "+r"(x));
#endif
  return x;
}

/* x - q when x >= q, else x, for x < 2q, without a branch. */
static inline uint32_t csub_q(uint32_t x) {
  uint32_t t = x - Q;
  /* The top bit of t is set exactly when x < q (the subtraction wrapped). */
  uint32_t mask = value_barrier(0u - (t >> 31));
  return t + (mask & Q);
}

/* floor(x / q) for any 32-bit x: Barrett's estimate is at most one below the quotient. */
static inline uint32_t div_q(uint32_t x) {
  uint32_t quo = (uint32_t)(((uint64_t)x * BARRETT) >> 32);
  uint32_t r = x - quo * Q; /* in [0, 2q) */
  return quo + 1 - ((r - Q) >> 31);
}

/* x mod q for any 32-bit x. */
static inline uint16_t reduce(uint32_t x) {
  uint32_t quo = (uint32_t)(((uint64_t)x * BARRETT) >> 32);
  return (uint16_t)csub_q(x - quo * Q);
}

static inline uint16_t add_q(uint16_t a, uint16_t b) { return (uint16_t)csub_q((uint32_t)a + b); }
static inline uint16_t sub_q(uint16_t a, uint16_t b) {
  return (uint16_t)csub_q((uint32_t)a + Q - b);
}
static inline uint16_t mul_q(uint16_t a, uint16_t b) { return reduce((uint32_t)a * b); }

/* ---- NTT (FIPS 203 §4.3) -------------------------------------------------------------------- */

/* zeta^BitRev7(i) mod q (Algorithms 9, 10) and zeta^(2 BitRev7(i) + 1) mod q (Algorithm 11),
 * zeta = 17, computed once at load by init_tables. */
static uint16_t zetas[128];
static uint16_t gammas[128];

static unsigned bitrev7(unsigned i) {
  unsigned r = 0;
  for (int b = 0; b < 7; b++) r |= ((i >> b) & 1) << (6 - b);
  return r;
}

static uint16_t pow_q(uint16_t base, unsigned e) {
  uint16_t r = 1;
  for (unsigned i = 0; i < e; i++) r = mul_q(r, base);
  return r;
}

static void init_tables(void) {
  for (unsigned i = 0; i < 128; i++) {
    zetas[i] = pow_q(17, bitrev7(i));
    gammas[i] = pow_q(17, 2 * bitrev7(i) + 1);
  }
}

/* Algorithm 9: f -> f-hat, in place. */
static void ntt(poly *f) {
  unsigned i = 1;
  for (unsigned len = 128; len >= 2; len >>= 1) {
    for (unsigned start = 0; start < N; start += 2 * len) {
      uint16_t zeta = zetas[i++];
      for (unsigned j = start; j < start + len; j++) {
        uint16_t t = mul_q(zeta, f->c[j + len]);
        f->c[j + len] = sub_q(f->c[j], t);
        f->c[j] = add_q(f->c[j], t);
      }
    }
  }
}

/* Algorithm 10: f-hat -> f, in place; the final scaling is by 128^-1 = 3303 mod q. */
static void ntt_inverse(poly *f) {
  unsigned i = 127;
  for (unsigned len = 2; len <= 128; len <<= 1) {
    for (unsigned start = 0; start < N; start += 2 * len) {
      uint16_t zeta = zetas[i--];
      for (unsigned j = start; j < start + len; j++) {
        uint16_t t = f->c[j];
        f->c[j] = add_q(t, f->c[j + len]);
        f->c[j + len] = mul_q(zeta, sub_q(f->c[j + len], t));
      }
    }
  }
  for (unsigned j = 0; j < N; j++) f->c[j] = mul_q(f->c[j], 3303);
}

/*
 * Algorithms 11 and 12 over a row: h = sum over j of f[j] x g[j] in the NTT domain, each pair of
 * coefficients (a0 + a1 X)(b0 + b1 X) mod (X^2 - gamma_i). Every product term is below q^2, so a
 * pair's terms sum below 2 q^2 and the K pairs' below 6 q^2 < 2^32: one reduction at the end.
 */
static void multiply_ntts_sum(poly *h, const poly f[K], const poly g[K]) {
  for (unsigned i = 0; i < 128; i++) {
    uint32_t c0 = 0, c1 = 0;
    for (unsigned j = 0; j < K; j++) {
      uint32_t a0 = f[j].c[2 * i], a1 = f[j].c[2 * i + 1];
      uint32_t b0 = g[j].c[2 * i], b1 = g[j].c[2 * i + 1];
      c0 += a0 * b0 + (uint32_t)reduce(a1 * b1) * gammas[i];
      c1 += a0 * b1 + a1 * b0;
    }
    h->c[2 * i] = reduce(c0);
    h->c[2 * i + 1] = reduce(c1);
  }
}

static void poly_add(poly *r, const poly *a) {
  for (unsigned j = 0; j < N; j++) r->c[j] = add_q(r->c[j], a->c[j]);
}

/* ---- sampling (FIPS 203 §4.2.2) ------------------------------------------------------------- */

/* Parses the XOF output `b` into a (Algorithm 7's loop); returns how many coefficients were
 * filled. rho is public, so branching on the candidates leaks nothing. */
static unsigned parse_ntt(poly *a, const unsigned char *b, size_t len) {
  unsigned j = 0;
  for (size_t pos = 0; pos + 3 <= len && j < N; pos += 3) {
    uint16_t d1 = (uint16_t)(b[pos] | ((b[pos + 1] & 0x0f) << 8));
    uint16_t d2 = (uint16_t)((b[pos + 1] >> 4) | (b[pos + 2] << 4));
    if (d1 < Q) a->c[j++] = d1;
    if (d2 < Q && j < N) a->c[j++] = d2;
  }
  return j;
}

/*
 * Algorithm 7, SampleNTT(rho || j || i): a uniform polynomial in the NTT domain from SHAKE128.
 * OpenSSL 3.0 squeezes an XOF once, so the output is taken whole: three blocks (504 bytes,
 * 336 candidates for 256 coefficients at an acceptance rate of q / 4096) suffice nearly always
 * (all but about 1 in 100); otherwise the same stream is taken again one block longer and
 * parsed from its start, which gives the same coefficients as squeezing on.
 */
static int sample_ntt(EVP_MD_CTX *ctx, poly *a, const unsigned char rho[32], unsigned char j,
                      unsigned char i) {
  unsigned char seed[34];
  unsigned char buf[XOF_BLOCK * 8];
  memcpy(seed, rho, 32);
  seed[32] = j;
  seed[33] = i;
  for (size_t len = XOF_BLOCK * 3; len <= sizeof buf; len += XOF_BLOCK) {
    if (!hash2(ctx, md_shake128, seed, sizeof seed, NULL, 0, buf, len, 1)) return 0;
    if (parse_ntt(a, buf, len) == N) return 1;
  }
  /* 1,344 bytes give 896 candidates; falling short of 256 has a probability far below
   * 2^-300. */
  return 0;
}

/* Algorithm 8 with eta = 2: each coefficient is (b0 + b1) - (b2 + b3) of four input bits. */
static void sample_cbd2(poly *f, const unsigned char b[PRF_BYTES]) {
  for (unsigned i = 0; i < PRF_BYTES; i++) {
    for (unsigned half = 0; half < 2; half++) {
      uint32_t bits = (uint32_t)(b[i] >> (4 * half));
      uint32_t x = (bits & 1) + ((bits >> 1) & 1);
      uint32_t y = ((bits >> 2) & 1) + ((bits >> 3) & 1);
      f->c[2 * i + half] = (uint16_t)csub_q(x + Q - y);
    }
  }
}

/* ---- encoding (FIPS 203 §4.2.1) ------------------------------------------------------------- */

/* Algorithm 5, ByteEncode_d: 256 d-bit integers, little-endian bit order, into 32 d bytes. */
static void byte_encode(unsigned char *out, const poly *f, unsigned d) {
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t o = 0;
  for (unsigned i = 0; i < N; i++) {
    acc |= (uint32_t)f->c[i] << bits;
    bits += d;
    while (bits >= 8) {
      out[o++] = (unsigned char)acc;
      acc >>= 8;
      bits -= 8;
    }
  }
}

/* Algorithm 6, ByteDecode_d: 32 d bytes into 256 d-bit integers (not yet reduced for d = 12). */
static void byte_decode(poly *f, const unsigned char *in, unsigned d) {
  uint32_t acc = 0;
  unsigned bits = 0;
  size_t o = 0;
  const uint32_t mask = (1u << d) - 1;
  for (unsigned i = 0; i < N; i++) {
    while (bits < d) {
      acc |= (uint32_t)in[o++] << bits;
      bits += 8;
    }
    f->c[i] = (uint16_t)(acc & mask);
    acc >>= d;
    bits -= d;
  }
}

/* ByteDecode_12 reduced mod q (Algorithm 6 with m = q); every 12-bit value is below 2q. */
static void byte_decode12_reduce(poly *f, const unsigned char *in) {
  byte_decode(f, in, 12);
  for (unsigned j = 0; j < N; j++) f->c[j] = (uint16_t)csub_q(f->c[j]);
}

/* Compress_d (§4.2.1, eq. 4.7): round(2^d / q * x) mod 2^d = floor((2^d x + (q - 1) / 2) / q),
 * there being no ties for odd q. */
static void compress(poly *f, unsigned d) {
  for (unsigned j = 0; j < N; j++) {
    f->c[j] = (uint16_t)(div_q(((uint32_t)f->c[j] << d) + (Q - 1) / 2) & ((1u << d) - 1));
  }
}

/* Decompress_d (eq. 4.8): round(q / 2^d * y) = floor((q y + 2^(d-1)) / 2^d). */
static void decompress(poly *f, unsigned d) {
  for (unsigned j = 0; j < N; j++) {
    f->c[j] = (uint16_t)(((uint32_t)f->c[j] * Q + (1u << (d - 1))) >> d);
  }
}

/* ---- K-PKE (FIPS 203 §5) -------------------------------------------------------------------- */

/* The working state of one operation, wiped as a whole at its end. */
typedef struct {
  poly a[K][K]; /* A-hat, or its transpose when encrypting */
  poly s[K];    /* s-hat / y-hat */
  poly e[K];    /* e-hat / e1 / u */
  poly t[K];    /* t-hat */
  poly v, w;
  unsigned char prf[PRF_BYTES];
  unsigned char g[64];
  unsigned char m[32];
  unsigned char ct[CT_BYTES];
} work_t;

/* A-hat[i][j] = SampleNTT(rho || j || i), or its transpose. */
static int expand_a(EVP_MD_CTX *ctx, work_t *w, const unsigned char rho[32], int transposed) {
  for (unsigned i = 0; i < K; i++) {
    for (unsigned j = 0; j < K; j++) {
      poly *dst = transposed ? &w->a[j][i] : &w->a[i][j];
      if (!sample_ntt(ctx, dst, rho, (unsigned char)j, (unsigned char)i)) return 0;
    }
  }
  return 1;
}

/* Algorithm 13, K-PKE.KeyGen(d): ek = ByteEncode_12(t-hat) || rho, dk = ByteEncode_12(s-hat). */
static int kpke_keygen(EVP_MD_CTX *ctx, work_t *w, const unsigned char d[32],
                       unsigned char ek[EK_BYTES], unsigned char dk_pke[DK_PKE_BYTES]) {
  /* (rho, sigma) = G(d || k): the domain separator k of FIPS 203's final text. */
  unsigned char k_byte = K;
  if (!hash_g(ctx, d, 32, &k_byte, 1, w->g)) return 0;
  const unsigned char *rho = w->g, *sigma = w->g + 32;
  if (!expand_a(ctx, w, rho, 0)) return 0;
  unsigned char n = 0;
  for (unsigned i = 0; i < K; i++) {
    if (!prf(ctx, sigma, n++, w->prf)) return 0;
    sample_cbd2(&w->s[i], w->prf);
  }
  for (unsigned i = 0; i < K; i++) {
    if (!prf(ctx, sigma, n++, w->prf)) return 0;
    sample_cbd2(&w->e[i], w->prf);
  }
  for (unsigned i = 0; i < K; i++) {
    ntt(&w->s[i]);
    ntt(&w->e[i]);
  }
  /* t-hat = A-hat o s-hat + e-hat */
  for (unsigned i = 0; i < K; i++) {
    multiply_ntts_sum(&w->t[i], w->a[i], w->s);
    poly_add(&w->t[i], &w->e[i]);
    byte_encode(ek + POLY_BYTES * i, &w->t[i], 12);
    byte_encode(dk_pke + POLY_BYTES * i, &w->s[i], 12);
  }
  memcpy(ek + DK_PKE_BYTES, rho, 32);
  return 1;
}

/* Algorithm 14, K-PKE.Encrypt(ek, m, r) into ct; ek has passed the modulus check. */
static int kpke_encrypt(EVP_MD_CTX *ctx, work_t *w, const unsigned char ek[EK_BYTES],
                        const unsigned char m[32], const unsigned char r[32],
                        unsigned char ct[CT_BYTES]) {
  for (unsigned i = 0; i < K; i++) byte_decode12_reduce(&w->t[i], ek + POLY_BYTES * i);
  /* u needs A-hat^T. */
  if (!expand_a(ctx, w, ek + DK_PKE_BYTES, 1)) return 0;
  unsigned char n = 0;
  for (unsigned i = 0; i < K; i++) {
    if (!prf(ctx, r, n++, w->prf)) return 0;
    sample_cbd2(&w->s[i], w->prf); /* y */
  }
  for (unsigned i = 0; i < K; i++) {
    if (!prf(ctx, r, n++, w->prf)) return 0;
    sample_cbd2(&w->e[i], w->prf); /* e1 */
  }
  if (!prf(ctx, r, n, w->prf)) return 0;
  sample_cbd2(&w->v, w->prf); /* e2 */
  for (unsigned i = 0; i < K; i++) ntt(&w->s[i]);
  /* u = NTT^-1(A-hat^T o y-hat) + e1 */
  for (unsigned i = 0; i < K; i++) {
    multiply_ntts_sum(&w->w, w->a[i], w->s);
    ntt_inverse(&w->w);
    poly_add(&w->e[i], &w->w);
  }
  /* v = NTT^-1(t-hat^T o y-hat) + e2 + mu, mu = Decompress_1(ByteDecode_1(m)) */
  multiply_ntts_sum(&w->w, w->t, w->s);
  ntt_inverse(&w->w);
  poly_add(&w->v, &w->w);
  byte_decode(&w->w, m, 1);
  decompress(&w->w, 1);
  poly_add(&w->v, &w->w);
  /* c1 = ByteEncode_du(Compress_du(u)), c2 = ByteEncode_dv(Compress_dv(v)) */
  for (unsigned i = 0; i < K; i++) {
    compress(&w->e[i], DU);
    byte_encode(ct + 32 * DU * i, &w->e[i], DU);
  }
  compress(&w->v, DV);
  byte_encode(ct + C1_BYTES, &w->v, DV);
  return 1;
}

/* Algorithm 15, K-PKE.Decrypt(dk, c) -> m. */
static void kpke_decrypt(work_t *w, const unsigned char dk_pke[DK_PKE_BYTES],
                         const unsigned char ct[CT_BYTES], unsigned char m[32]) {
  for (unsigned i = 0; i < K; i++) {
    /* u' = Decompress_du(ByteDecode_du(c1)) */
    byte_decode(&w->e[i], ct + 32 * DU * i, DU);
    decompress(&w->e[i], DU);
    ntt(&w->e[i]);
    byte_decode12_reduce(&w->s[i], dk_pke + POLY_BYTES * i);
  }
  multiply_ntts_sum(&w->w, w->s, w->e);
  ntt_inverse(&w->w);
  /* v' = Decompress_dv(ByteDecode_dv(c2)); w = v' - NTT^-1(s-hat^T o NTT(u')) */
  byte_decode(&w->v, ct + C1_BYTES, DV);
  decompress(&w->v, DV);
  for (unsigned j = 0; j < N; j++) w->v.c[j] = sub_q(w->v.c[j], w->w.c[j]);
  /* m = ByteEncode_1(Compress_1(w)) */
  compress(&w->v, 1);
  byte_encode(m, &w->v, 1);
}

/* ---- ML-KEM (FIPS 203 §6, §7) --------------------------------------------------------------- */

/* §7.2's modulus check: every 12-bit coefficient of ek's vector below q. ek is public. */
static int ek_modulus_ok(const unsigned char ek[EK_BYTES]) {
  poly f;
  for (unsigned i = 0; i < K; i++) {
    byte_decode(&f, ek + POLY_BYTES * i, 12);
    for (unsigned j = 0; j < N; j++) {
      if (f.c[j] >= Q) return 0;
    }
  }
  return 1;
}

/* Algorithm 16, ML-KEM.KeyGen_internal(d, z): dk = dk_PKE || ek || H(ek) || z. */
static int mlkem_keygen(const unsigned char d[32], const unsigned char z[32],
                        unsigned char ek[EK_BYTES], unsigned char dk[DK_BYTES]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  work_t *w = OPENSSL_malloc(sizeof *w);
  int ok = ctx != NULL && w != NULL && kpke_keygen(ctx, w, d, ek, dk) &&
           hash_h(ctx, ek, EK_BYTES, dk + DK_PKE_BYTES + EK_BYTES);
  if (ok) {
    memcpy(dk + DK_PKE_BYTES, ek, EK_BYTES);
    memcpy(dk + DK_PKE_BYTES + EK_BYTES + 32, z, 32);
  }
  if (w != NULL) OPENSSL_clear_free(w, sizeof *w);
  EVP_MD_CTX_free(ctx);
  return ok;
}

/* Algorithm 17, ML-KEM.Encaps_internal(ek, m): (K, r) = G(m || H(ek)), c = Encrypt(ek, m, r).
 * The caller has done §7.2's checks. */
static int mlkem_encaps(const unsigned char ek[EK_BYTES], const unsigned char m[32],
                        unsigned char ct[CT_BYTES], unsigned char ss[32]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  work_t *w = OPENSSL_malloc(sizeof *w);
  unsigned char h[32];
  int ok = ctx != NULL && w != NULL && hash_h(ctx, ek, EK_BYTES, h) &&
           hash_g(ctx, m, 32, h, 32, w->g) && kpke_encrypt(ctx, w, ek, m, w->g + 32, ct);
  if (ok) memcpy(ss, w->g, 32);
  if (w != NULL) OPENSSL_clear_free(w, sizeof *w);
  EVP_MD_CTX_free(ctx);
  return ok;
}

/*
 * Algorithm 18, ML-KEM.Decaps_internal(dk, c), after §7.3's hash check: m' = Decrypt(dk_PKE, c),
 * (K', r') = G(m' || h), K-bar = J(z || c) = SHAKE256(z || c, 32), c' = Encrypt(ek_PKE, m', r');
 * K' when c = c', else K-bar (implicit rejection). Returns -1 when the key fails the hash
 * check, 0 when OpenSSL fails, 1 otherwise.
 */
static int mlkem_decaps(const unsigned char dk[DK_BYTES], const unsigned char ct[CT_BYTES],
                        unsigned char ss[32]) {
  const unsigned char *dk_pke = dk;
  const unsigned char *ek = dk + DK_PKE_BYTES;
  const unsigned char *h = ek + EK_BYTES;
  const unsigned char *z = h + 32;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  work_t *w = OPENSSL_malloc(sizeof *w);
  unsigned char check[32], k_bar[32];
  int ok = ctx != NULL && w != NULL && hash_h(ctx, ek, EK_BYTES, check);
  if (ok && CRYPTO_memcmp(check, h, 32) != 0) ok = -1; /* §7.3: the key is malformed */
  if (ok == 1) {
    kpke_decrypt(w, dk_pke, ct, w->m);
    ok = hash_g(ctx, w->m, 32, h, 32, w->g) &&
         hash2(ctx, md_shake256, z, 32, ct, CT_BYTES, k_bar, 32, 1) &&
         kpke_encrypt(ctx, w, ek, w->m, w->g + 32, w->ct);
  }
  if (ok == 1) {
    /* Constant time: fold every byte of c XOR c', then select with a mask. */
    uint32_t diff = 0;
    for (size_t i = 0; i < CT_BYTES; i++) diff |= (uint32_t)(ct[i] ^ w->ct[i]);
    /* reject = 0xff..ff when diff != 0: (diff - 1) has its top bit set only when diff == 0. */
    uint32_t reject = value_barrier(((diff - 1) >> 31) - 1);
    for (size_t i = 0; i < 32; i++) {
      ss[i] = (unsigned char)((w->g[i] & ~reject) | (k_bar[i] & reject));
    }
  }
  OPENSSL_cleanse(k_bar, sizeof k_bar);
  if (w != NULL) OPENSSL_clear_free(w, sizeof *w);
  EVP_MD_CTX_free(ctx);
  return ok;
}

/* ---- N-API ---------------------------------------------------------------------------------- */

/* The length of a Uint8Array argument, or SIZE_MAX (with a TypeError thrown). */
static size_t get_length(napi_env env, napi_value v, unsigned char **data) {
  size_t n;
  if (!typed_arg(env, v, napi_uint8_array, "expected a Uint8Array", (void **)data, &n)) {
    return SIZE_MAX;
  }
  return n;
}

/* A Uint8Array argument of exactly `len` bytes, else a thrown TypeError / RangeError. */
static int get_exact(napi_env env, napi_value v, size_t len, unsigned char **data) {
  size_t n = get_length(env, v, data);
  if (n == SIZE_MAX) return 0;
  if (n != len) {
    napi_throw_range_error(env, NULL, "ML-KEM-768 argument of the wrong length");
    return 0;
  }
  return 1;
}

static napi_value make_bool(napi_env env, int b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

static int ready(napi_env env) {
  if (mds_ready()) return 1;
  napi_throw_error(env, NULL, "OpenSSL lacks SHA3/SHAKE for ML-KEM");
  return 0;
}

/* mlkemKeygen(seed: 64 bytes d || z, ek: 1184, dk: 2400) -> undefined. */
static napi_value js_mlkem_keygen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  unsigned char *seed, *ek, *dk;
  if (argc < 3 || !get_exact(env, argv[0], 64, &seed) || !get_exact(env, argv[1], EK_BYTES, &ek) ||
      !get_exact(env, argv[2], DK_BYTES, &dk) || !ready(env)) {
    return NULL;
  }
  if (!mlkem_keygen(seed, seed + 32, ek, dk)) {
    OPENSSL_cleanse(dk, DK_BYTES);
    napi_throw_error(env, NULL, "ML-KEM key generation failed in OpenSSL");
  }
  return NULL;
}

/* mlkemEncaps(ek, m: 32, ct: 1088, ss: 32) -> boolean: false when ek fails §7.2's checks
 * (length, modulus). */
static napi_value js_mlkem_encaps(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  unsigned char *ek, *m, *ct, *ss;
  size_t ek_len;
  if (argc < 4 || (ek_len = get_length(env, argv[0], &ek)) == SIZE_MAX ||
      !get_exact(env, argv[1], 32, &m) || !get_exact(env, argv[2], CT_BYTES, &ct) ||
      !get_exact(env, argv[3], 32, &ss) || !ready(env)) {
    return NULL;
  }
  if (ek_len != EK_BYTES || !ek_modulus_ok(ek)) return make_bool(env, 0);
  if (!mlkem_encaps(ek, m, ct, ss)) {
    OPENSSL_cleanse(ss, 32);
    napi_throw_error(env, NULL, "ML-KEM encapsulation failed in OpenSSL");
    return NULL;
  }
  return make_bool(env, 1);
}

/* mlkemDecaps(ct, dk, ss: 32) -> boolean: false when ct or dk fails §7.3's checks (lengths,
 * the hash of ek in dk). A wrong ciphertext of the right length is no failure: it gives the
 * implicit-rejection secret. */
static napi_value js_mlkem_decaps(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  unsigned char *ct, *dk, *ss;
  size_t ct_len, dk_len;
  if (argc < 3 || (ct_len = get_length(env, argv[0], &ct)) == SIZE_MAX ||
      (dk_len = get_length(env, argv[1], &dk)) == SIZE_MAX ||
      !get_exact(env, argv[2], 32, &ss) || !ready(env)) {
    return NULL;
  }
  if (ct_len != CT_BYTES || dk_len != DK_BYTES) return make_bool(env, 0);
  int r = mlkem_decaps(dk, ct, ss);
  if (r == 0) {
    OPENSSL_cleanse(ss, 32);
    napi_throw_error(env, NULL, "ML-KEM decapsulation failed in OpenSSL");
    return NULL;
  }
  return make_bool(env, r == 1);
}

/* Called from tsquic_native.c's module init. */
void tsquic_mlkem_register(napi_env env, napi_value exports) {
  static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
  pthread_once(&tables_once, init_tables);
  napi_property_descriptor props[] = {
      {"mlkemKeygen", NULL, js_mlkem_keygen, NULL, NULL, NULL, napi_default, NULL},
      {"mlkemEncaps", NULL, js_mlkem_encaps, NULL, NULL, NULL, napi_default, NULL},
      {"mlkemDecaps", NULL, js_mlkem_decaps, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
