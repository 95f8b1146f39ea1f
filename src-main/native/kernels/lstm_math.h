// The arithmetic of LSTM Studio's kernels, written once and compiled once per instruction
// set: kernel_math.cc includes this file inside one namespace per target, with VW, the
// vector width in floats, set to 16 (AVX-512), 8 (AVX2 + FMA) or 4 (baseline). Plain loops
// over row-major float arrays, with GCC/Clang vector types; no TensorFlow types. Every
// size, count, index and leading dimension is 64-bit (`idx`), so no offset wraps however
// large the shapes the kernels' checks let through. Deliberately without an include guard.

typedef ::kernels::idx idx;

typedef float vec __attribute__((vector_size(VW * 4)));
typedef float vec_u __attribute__((vector_size(VW * 4), aligned(4)));
typedef int ivec __attribute__((vector_size(VW * 4)));

static inline vec load(const float* p) { return *reinterpret_cast<const vec_u*>(p); }
static inline void store(float* p, vec v) { *reinterpret_cast<vec_u*>(p) = v; }
static inline vec splat(float x) { return x - (vec){}; }

// C[M,N] (+)= op(A)·B, row-major, leading dimensions in floats; op(A) is A [M,K] or, with
// TA, the transpose of A stored as [K,M]. Every output element sums its K products in
// order k = 0, 1, …, starting from C's old value when `accumulate` (else from 0), so the
// result does not depend on the blocking, which keeps a panel of B in cache (K in blocks
// of KB rows, N in blocks of 4·VW columns) while the rows of A go by.
template <bool TA>
static inline float a_at(const float* A, idx lda, idx i, idx k) {
  return TA ? A[k * lda + i] : A[i * lda + k];
}

template <bool TA, int R, int NV>
static inline void micro(idx i, idx j, idx k0, idx k1, const float* A, idx lda, const float* B,
                         idx ldb, float* C, idx ldc, bool from_zero) {
  vec acc[R][NV];
  for (idx r = 0; r < R; r++)
    for (idx v = 0; v < NV; v++)
      acc[r][v] = from_zero ? splat(0.f) : load(C + (i + r) * ldc + j + v * VW);
  for (idx k = k0; k < k1; k++) {
    const float* b = B + k * ldb + j;
    vec bv[NV];
    for (idx v = 0; v < NV; v++) bv[v] = load(b + v * VW);
    for (idx r = 0; r < R; r++) {
      const vec a = splat(a_at<TA>(A, lda, i + r, k));
      for (idx v = 0; v < NV; v++) acc[r][v] += a * bv[v];
    }
  }
  for (idx r = 0; r < R; r++)
    for (idx v = 0; v < NV; v++) store(C + (i + r) * ldc + j + v * VW, acc[r][v]);
}

template <bool TA, int NV>
static inline void rows_of_panel(idx M, idx j, idx k0, idx k1, const float* A, idx lda,
                                 const float* B, idx ldb, float* C, idx ldc, bool from_zero) {
  idx i = 0;
  for (; i + 4 <= M; i += 4) micro<TA, 4, NV>(i, j, k0, k1, A, lda, B, ldb, C, ldc, from_zero);
  for (; i < M; i++) micro<TA, 1, NV>(i, j, k0, k1, A, lda, B, ldb, C, ldc, from_zero);
}

template <bool TA>
static void gemm_t(idx M, idx N, idx K, const float* A, idx lda, const float* B, idx ldb,
                   float* C, idx ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (idx i = 0; i < M; i++)
        for (idx j = 0; j < N; j++) C[i * ldc + j] = 0.f;
    return;
  }
  const idx KB = 256;
  const idx full = N - N % VW;
  // The last N % VW columns go through zero-padded copies of B's and C's edge.
  const idx tail = N - full;
  static thread_local std::vector<float> pad_b, pad_c;
  if (tail > 0) {
    if (pad_b.size() < static_cast<size_t>(K) * VW) pad_b.resize(static_cast<size_t>(K) * VW);
    if (pad_c.size() < static_cast<size_t>(M) * VW) pad_c.resize(static_cast<size_t>(M) * VW);
    for (idx k = 0; k < K; k++)
      for (idx c = 0; c < VW; c++) pad_b[k * VW + c] = c < tail ? B[k * ldb + full + c] : 0.f;
    for (idx i = 0; i < M; i++)
      for (idx c = 0; c < VW; c++)
        pad_c[i * VW + c] = accumulate && c < tail ? C[i * ldc + full + c] : 0.f;
  }
  for (idx k0 = 0; k0 < K; k0 += KB) {
    const idx k1 = k0 + KB < K ? k0 + KB : K;
    const bool from_zero = k0 == 0 && !accumulate;
    idx j = 0;
    for (; j + 4 * VW <= full; j += 4 * VW)
      rows_of_panel<TA, 4>(M, j, k0, k1, A, lda, B, ldb, C, ldc, from_zero);
    for (; j < full; j += VW) rows_of_panel<TA, 1>(M, j, k0, k1, A, lda, B, ldb, C, ldc, from_zero);
    if (tail > 0)
      rows_of_panel<TA, 1>(M, 0, k0, k1, A, lda, pad_b.data(), VW, pad_c.data(), VW, false);
  }
  if (tail > 0)
    for (idx i = 0; i < M; i++)
      for (idx c = 0; c < tail; c++) C[i * ldc + full + c] = pad_c[i * VW + c];
}

static void gemm(idx M, idx N, idx K, const float* A, idx lda, const float* B, idx ldb, float* C,
                 idx ldc, bool accumulate) {
  gemm_t<false>(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// The same with A given transposed: C (+)= Aᵀ·B where A is stored [K, M].
static void gemm_tn(idx M, idx N, idx K, const float* A, idx lda, const float* B, idx ldb,
                    float* C, idx ldc, bool accumulate) {
  gemm_t<true>(M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

// dst[n] = a[n] + b[n] for n < N.
static void add_to(idx N, float* dst, const float* a, const float* b) {
  idx n = 0;
  for (; n + VW <= N; n += VW) store(dst + n, load(a + n) + load(b + n));
  for (; n < N; n++) dst[n] = a[n] + b[n];
}

// dst[n] += src[n] for n < N.
static void add_row(idx N, float* dst, const float* src) {
  idx n = 0;
  for (; n + VW <= N; n += VW) store(dst + n, load(dst + n) + load(src + n));
  for (; n < N; n++) dst[n] += src[n];
}

// e^x, to about 2 ulp, for x clamped to [−87, 88]: x = n·ln2 + r with |r| ≤ ln2/2, e^r by
// a degree-6 polynomial (Cephes' expf coefficients), 2^n built in the exponent bits.
static inline vec vexp(vec x) {
  const vec hi = splat(88.0f), lo = splat(-87.0f);
  x = x > hi ? hi : x;
  x = x < lo ? lo : x;
  // Round x/ln2 to the nearest integer with the 1.5·2^23 trick (exact for |n| < 2^22): the
  // low bits of the sum hold n.
  const vec magic = splat(12582912.0f);
  vec n = x * splat(1.44269504088896341f) + magic;
  const ivec ni = (ivec)n - (ivec)magic;
  n -= magic;
  // r = x − n·ln2, with ln2 split in two so n·ln2_hi is exact.
  vec r = x - n * splat(0.693359375f);
  r = r - n * splat(-2.12194440e-4f);
  vec p = splat(1.9875691500e-4f);
  p = p * r + splat(1.3981999507e-3f);
  p = p * r + splat(8.3334519073e-3f);
  p = p * r + splat(4.1665795894e-2f);
  p = p * r + splat(1.6666665459e-1f);
  p = p * r + splat(5.0000001201e-1f);
  p = p * r * r + r + splat(1.0f);
  const ivec scale = (ni + 127) << 23;
  return p * (vec)scale;
}

static inline vec vsigmoid(vec x) { return splat(1.0f) / (splat(1.0f) + vexp(-x)); }

// tanh from e^{−2|x|}, so the exponential never overflows; the sign is put back after.
static inline vec vtanh(vec x) {
  const vec ax = x < splat(0.f) ? -x : x;
  const vec e = vexp(splat(-2.0f) * ax);
  const vec t = (splat(1.0f) - e) / (splat(1.0f) + e);
  return x < splat(0.f) ? -t : t;
}

// Scalar forms for the last H % VW units, through the same vector code.
static inline float sexp(float x) {
  float in[VW] = {x};
  const vec r = vexp(load(in));
  return r[0];
}
static inline float ssigmoid(float x) { return 1.0f / (1.0f + sexp(-x)); }
static inline float stanh(float x) {
  const float ax = x < 0.f ? -x : x;
  const float e = sexp(-2.0f * ax);
  const float t = (1.0f - e) / (1.0f + e);
  return x < 0.f ? -t : t;
}

// One forward time step's element-wise part. z: [B, 4H] pre-activations (gate blocks
// i, c, f, o), cs_prev: [B, H]; writes the seven per-step outputs, each [B, H].
static void cell_forward(idx B, idx H, const float* z, const float* cs_prev, float forget_bias,
                         float cell_clip, float* i_out, float* cs_out, float* f_out,
                         float* o_out, float* ci_out, float* co_out, float* h_out) {
  const vec fb = splat(forget_bias), clip = splat(cell_clip);
  for (idx b = 0; b < B; b++) {
    const float* zr = z + b * 4 * H;
    const idx row = b * H;
    idx u = 0;
    for (; u + VW <= H; u += VW) {
      const vec i = vsigmoid(load(zr + u));
      const vec ci = vtanh(load(zr + H + u));
      const vec f = vsigmoid(load(zr + 2 * H + u) + fb);
      const vec o = vsigmoid(load(zr + 3 * H + u));
      vec cs = ci * i + load(cs_prev + row + u) * f;
      if (cell_clip > 0.f) {
        cs = cs > clip ? clip : cs;
        cs = cs < -clip ? -clip : cs;
      }
      const vec co = vtanh(cs);
      store(i_out + row + u, i);
      store(ci_out + row + u, ci);
      store(f_out + row + u, f);
      store(o_out + row + u, o);
      store(cs_out + row + u, cs);
      store(co_out + row + u, co);
      store(h_out + row + u, co * o);
    }
    for (; u < H; u++) {
      const float i = ssigmoid(zr[u]);
      const float ci = stanh(zr[H + u]);
      const float f = ssigmoid(zr[2 * H + u] + forget_bias);
      const float o = ssigmoid(zr[3 * H + u]);
      float cs = ci * i + cs_prev[row + u] * f;
      if (cell_clip > 0.f) cs = cs > cell_clip ? cell_clip : (cs < -cell_clip ? -cell_clip : cs);
      const float co = stanh(cs);
      i_out[row + u] = i;
      ci_out[row + u] = ci;
      f_out[row + u] = f;
      o_out[row + u] = o;
      cs_out[row + u] = cs;
      co_out[row + u] = co;
      h_out[row + u] = co * o;
    }
  }
}

// One backward time step's element-wise part. The gradient reaching this step's h is
// dh_above + dh_next, and its cs gets dcs_above + dcs_next (from the layer above and from
// the next step; all [B, H]). Writes the pre-activation gradients dz [B, 4H] and, over
// dcs_next, the cell-state gradient for the previous step. Like TensorFlow's kernel, the
// cell clip (if any) is not differentiated.
static void cell_backward(idx B, idx H, const float* dh_above, const float* dh_next,
                          const float* dcs_above, const float* i_, const float* cs_prev,
                          const float* f_, const float* o_, const float* ci_, const float* co_,
                          float* dz, float* dcs_next) {
  const vec one = splat(1.0f);
  for (idx b = 0; b < B; b++) {
    float* dzr = dz + b * 4 * H;
    const idx row = b * H;
    idx u = 0;
    for (; u + VW <= H; u += VW) {
      const idx k = row + u;
      const vec g = load(dh_above + k) + load(dh_next + k);
      const vec i = load(i_ + k), f = load(f_ + k), o = load(o_ + k);
      const vec ci = load(ci_ + k), co = load(co_ + k);
      const vec dcs = g * o * (one - co * co) + (load(dcs_above + k) + load(dcs_next + k));
      store(dzr + u, dcs * ci * i * (one - i));
      store(dzr + H + u, dcs * i * (one - ci * ci));
      store(dzr + 2 * H + u, dcs * load(cs_prev + k) * f * (one - f));
      store(dzr + 3 * H + u, g * co * o * (one - o));
      store(dcs_next + k, dcs * f);
    }
    for (; u < H; u++) {
      const idx k = row + u;
      const float g = dh_above[k] + dh_next[k];
      const float i = i_[k], f = f_[k], o = o_[k], ci = ci_[k], co = co_[k];
      const float dcs = g * o * (1.0f - co * co) + (dcs_above[k] + dcs_next[k]);
      dzr[u] = dcs * ci * i * (1.0f - i);
      dzr[H + u] = dcs * i * (1.0f - ci * ci);
      dzr[2 * H + u] = dcs * cs_prev[k] * f * (1.0f - f);
      dzr[3 * H + u] = g * co * o * (1.0f - o);
      dcs_next[k] = dcs * f;
    }
  }
}

// out[n] = e^{x[n]} for n < count.
static void exp_all(idx count, const float* x, float* out) {
  idx n = 0;
  for (; n + VW <= count; n += VW) store(out + n, vexp(load(x + n)));
  for (; n < count; n++) out[n] = sexp(x[n]);
}

// out[n] = y[n] + a·x[n] for n < N.
static void axpy_into(idx N, float a, const float* x, const float* y, float* out) {
  const vec av = splat(a);
  idx n = 0;
  for (; n + VW <= N; n += VW) store(out + n, load(y + n) + av * load(x + n));
  for (; n < N; n++) out[n] = y[n] + a * x[n];
}

// ---- dropout -----------------------------------------------------------------------------
// The draws of TensorFlow's StatelessRandomUniform, VW Philox4x32-10 blocks at a time.
typedef unsigned int uvec __attribute__((vector_size(VW * 4)));
typedef unsigned long long u64vec __attribute__((vector_size(VW * 8)));

// Ten Philox4x32-10 rounds on VW counters (c[w] holds word w of each), key (k0, k1).
static inline void philox_rounds(uvec c[4], unsigned k0, unsigned k1) {
  for (int r = 0; r < 10; r++) {
    const u64vec p0 = __builtin_convertvector(c[0], u64vec) * 0xD2511F53ull;
    const u64vec p1 = __builtin_convertvector(c[2], u64vec) * 0xCD9E8D57ull;
    const uvec n0 = __builtin_convertvector(p1 >> 32, uvec) ^ c[1] ^ k0;
    const uvec n2 = __builtin_convertvector(p0 >> 32, uvec) ^ c[3] ^ k1;
    c[1] = __builtin_convertvector(p1, uvec);
    c[3] = __builtin_convertvector(p0, uvec);
    c[0] = n0;
    c[2] = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
}

// The block Philox4x32-10 makes of `counter` under `key` (one block; the seed scramble).
static void philox_block(const unsigned counter[4], const unsigned key[2], unsigned out[4]) {
  uvec c[4];
  for (int w = 0; w < 4; w++) c[w] = (uvec){} + counter[w];
  philox_rounds(c, key[0], key[1]);
  for (int w = 0; w < 4; w++) out[w] = c[w][0];
}

// Inverted dropout of x[n] with StatelessRandomUniform's draws: element e takes the low 23
// bits of word e mod 4 of block e div 4 (counter (e div 4 as 64 bits, hi0, hi1), `key`) as
// u in [0, 1); mask = floor(u + keep)·scale (u + keep < 2, so the floor is the comparison:
// scale or +0), y = x·mask. Every step is the float operation TensorFlow's kernels do.
static void dropout(idx n, const float* x, const unsigned key[2], unsigned hi0, unsigned hi1,
                    float keep, float scale, float* y, float* mask) {
  const idx blocks = (n + 3) / 4;
  for (idx b0 = 0; b0 < blocks; b0 += VW) {
    uvec c[4];
    for (int l = 0; l < VW; l++) {
      const unsigned long long block = static_cast<unsigned long long>(b0 + l);
      c[0][l] = static_cast<unsigned>(block);
      c[1][l] = static_cast<unsigned>(block >> 32);
    }
    c[2] = (uvec){} + hi0;
    c[3] = (uvec){} + hi1;
    philox_rounds(c, key[0], key[1]);
    // Word w of every block at once: its mask value; then in element order.
    float masks[4][VW];
    for (int w = 0; w < 4; w++) {
      const uvec bits = (c[w] & 0x7fffffu) | 0x3f800000u;
      vec one_to_two;
      __builtin_memcpy(&one_to_two, &bits, sizeof bits);
      const vec shifted = (one_to_two - splat(1.0f)) + splat(keep);
      const ivec kept = shifted >= splat(1.0f);
      ivec scale_bits;
      const vec scales = splat(scale);
      __builtin_memcpy(&scale_bits, &scales, sizeof scales);
      const ivec m = kept & scale_bits;
      __builtin_memcpy(masks[w], &m, sizeof m);
    }
    const idx first = b0 * 4;
    const idx count = n - first < 4 * VW ? n - first : 4 * VW;
    for (idx k = 0; k < count; k++) {
      const float m = masks[k % 4][k / 4];
      mask[first + k] = m;
      y[first + k] = x[first + k] * m;
    }
  }
}
