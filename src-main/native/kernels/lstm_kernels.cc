// LSTM Studio's own TensorFlow kernels: LstmStudioBlockLSTM and LstmStudioBlockLSTMGrad.
//
// They take the same inputs, attributes and outputs as TensorFlow's BlockLSTM (v1, gate
// blocks i, c, f, o) and BlockLSTMGrad, without peepholes, so the engine can run either
// pair through the same seam (src-main/engine/kernels/fused-lstm.ts). Why they exist:
// TensorFlow's own pair does each time step's [x, h]·W product as an Eigen contraction
// built for plain AVX, about 50 GFLOP/s here, and the backward kernel repeats the weight
// gradient product at every step. These kernels
//   - compute the input part of every step in one product before the recurrence (a row
//     gather when x is one-hot, which is exact: the product of a one-hot row is that row),
//   - keep only h·W_h inside the recurrence,
//   - form the weight and input gradients after the recurrence, as one product each,
//   - and run on the widest vector unit the CPU has (AVX-512, AVX2+FMA or baseline),
//     chosen when the library loads.
// The library registers the ops with TensorFlow's C kernel API when Node loads it as an
// addon; tfjs-node then runs them by name like any other kernel.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LSTM_STUDIO_X86 1
#include <xmmintrin.h>
#pragma GCC push_options
#pragma GCC target("avx512f,avx512vl,avx512dq,avx2,fma")
namespace isa_avx512 {
#define VW 16
#include "lstm_math.h"
#undef VW
}  // namespace isa_avx512
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace isa_avx2 {
#define VW 8
#include "lstm_math.h"
#undef VW
}  // namespace isa_avx2
#pragma GCC pop_options
#endif
namespace isa_base {
#define VW 4
#include "lstm_math.h"
#undef VW
}  // namespace isa_base

namespace {

// Denormal inputs and results make x86 arithmetic 10–100× slower (a sigmoid of a large
// negative input is one); like TensorFlow's own executors, the kernels flush them to zero
// while they run, and restore the caller's setting after.
struct FlushDenormals {
#ifdef LSTM_STUDIO_X86
  unsigned int saved = _mm_getcsr();
  FlushDenormals() { _mm_setcsr(saved | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved); }
#endif
};


using Gemm = void (*)(int, int, int, const float*, int, const float*, int, float*, int, bool);

struct Math {
  const char* name;
  Gemm gemm;
  Gemm gemm_tn;
  void (*add_row)(int, float*, const float*);
  void (*add_to)(int, float*, const float*, const float*);
  void (*exp_all)(int, const float*, float*);
  void (*axpy_into)(int, float, const float*, const float*, float*);
  void (*cell_forward)(int, int, const float*, const float*, float, float, float*, float*,
                       float*, float*, float*, float*, float*);
  void (*cell_backward)(int, int, const float*, const float*, const float*, const float*,
                        const float*, const float*, const float*, const float*, const float*,
                        float*, float*);
};

#define LSTM_STUDIO_MATH(ns, label) \
  Math { label, ns::gemm, ns::gemm_tn, ns::add_row, ns::add_to, ns::exp_all, ns::axpy_into, ns::cell_forward, ns::cell_backward }

// The widest instruction set the CPU has, or a narrower one named by
// LSTM_STUDIO_KERNEL_ISA (avx2 or baseline; for tests of the other code paths).
Math choose_math() {
  const char* forced = std::getenv("LSTM_STUDIO_KERNEL_ISA");
  const std::string cap = forced ? forced : "";
  if (cap == "baseline") return LSTM_STUDIO_MATH(isa_base, "baseline");
#ifdef LSTM_STUDIO_X86
  __builtin_cpu_init();
  if (cap != "avx2" && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return LSTM_STUDIO_MATH(isa_avx512, "avx512");
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return LSTM_STUDIO_MATH(isa_avx2, "avx2");
#endif
  return LSTM_STUDIO_MATH(isa_base, "baseline");
}

Math math = choose_math();

// ----------------------------------------------------------------------------------------
// Small helpers over the C API.

struct Input {
  TF_Tensor* tensor = nullptr;
  ~Input() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  const float* f() const { return static_cast<const float*>(TF_TensorData(tensor)); }
  int64_t dim(int d) const { return TF_Dim(tensor, d); }
  int dims() const { return TF_NumDims(tensor); }
};

struct Output {
  TF_Tensor* tensor = nullptr;
  ~Output() {
    if (tensor) TF_DeleteTensor(tensor);
  }
  float* f() const { return static_cast<float*>(TF_TensorData(tensor)); }
};

bool fail(TF_OpKernelContext* ctx, TF_Status* status, const std::string& message) {
  TF_SetStatus(status, TF_INVALID_ARGUMENT, message.c_str());
  TF_OpKernelContext_Failure(ctx, status);
  return false;
}

bool get_inputs(TF_OpKernelContext* ctx, TF_Status* status, Input* inputs, int count) {
  for (int k = 0; k < count; k++) {
    TF_GetInput(ctx, k, &inputs[k].tensor, status);
    if (TF_GetCode(status) != TF_OK) {
      TF_OpKernelContext_Failure(ctx, status);
      return false;
    }
  }
  return true;
}

bool allocate(TF_OpKernelContext* ctx, TF_Status* status, int index,
              std::initializer_list<int64_t> shape, Output* out) {
  std::vector<int64_t> dims(shape);
  size_t count = 1;
  for (int64_t d : dims) count *= static_cast<size_t>(d);
  out->tensor = TF_AllocateOutput(ctx, index, TF_FLOAT, dims.data(), static_cast<int>(dims.size()),
                                  count * sizeof(float), status);
  if (TF_GetCode(status) != TF_OK) {
    TF_OpKernelContext_Failure(ctx, status);
    return false;
  }
  return true;
}

// Scratch space reused across calls on the same thread.
float* scratch(std::vector<float>& buffer, size_t count) {
  if (buffer.size() < count) buffer.resize(count);
  return buffer.data();
}

// The symbol of each row if every row of x [rows, width] is exactly one-hot, else empty.
bool one_hot_ids(const float* x, int64_t rows, int64_t width, std::vector<int32_t>& ids) {
  ids.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; r++) {
    const float* row = x + r * width;
    int32_t id = -1;
    for (int64_t k = 0; k < width; k++) {
      const float v = row[k];
      if (v == 0.0f) continue;
      if (v != 1.0f || id >= 0) return false;
      id = static_cast<int32_t>(k);
    }
    if (id < 0) return false;
    ids[static_cast<size_t>(r)] = id;
  }
  return true;
}

// dst [cols, rows] = src [rows, cols]ᵀ, in 16 × 16 tiles so reads and writes both stay
// in cache lines.
void transpose(const float* src, int rows, int cols, int ld, float* dst) {
  const int tile = 16;
  for (int r0 = 0; r0 < rows; r0 += tile)
    for (int c0 = 0; c0 < cols; c0 += tile) {
      const int r1 = r0 + tile < rows ? r0 + tile : rows;
      const int c1 = c0 + tile < cols ? c0 + tile : cols;
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * ld + c];
    }
}

struct Attrs {
  float forget_bias = 1.0f;
  float cell_clip = 3.0f;
  bool compute_x_grad = true;
};

void* create_forward(TF_OpKernelConstruction* ctx) {
  Attrs* attrs = new Attrs();
  TF_Status* status = TF_NewStatus();
  TF_OpKernelConstruction_GetAttrFloat(ctx, "forget_bias", &attrs->forget_bias, status);
  if (TF_GetCode(status) == TF_OK)
    TF_OpKernelConstruction_GetAttrFloat(ctx, "cell_clip", &attrs->cell_clip, status);
  TF_Bool peephole = 0;
  if (TF_GetCode(status) == TF_OK)
    TF_OpKernelConstruction_GetAttrBool(ctx, "use_peephole", &peephole, status);
  if (TF_GetCode(status) == TF_OK && peephole)
    TF_SetStatus(status, TF_UNIMPLEMENTED, "LstmStudioBlockLSTM has no peepholes");
  if (TF_GetCode(status) != TF_OK) TF_OpKernelConstruction_Failure(ctx, status);
  TF_DeleteStatus(status);
  return attrs;
}

void* create_backward(TF_OpKernelConstruction* ctx) {
  Attrs* attrs = new Attrs();
  TF_Status* status = TF_NewStatus();
  TF_Bool peephole = 0, x_grad = 1;
  TF_OpKernelConstruction_GetAttrBool(ctx, "use_peephole", &peephole, status);
  if (TF_GetCode(status) == TF_OK)
    TF_OpKernelConstruction_GetAttrBool(ctx, "compute_x_grad", &x_grad, status);
  if (TF_GetCode(status) == TF_OK && peephole)
    TF_SetStatus(status, TF_UNIMPLEMENTED, "LstmStudioBlockLSTMGrad has no peepholes");
  if (TF_GetCode(status) != TF_OK) TF_OpKernelConstruction_Failure(ctx, status);
  attrs->compute_x_grad = x_grad != 0;
  TF_DeleteStatus(status);
  return attrs;
}

void delete_attrs(void* attrs) { delete static_cast<Attrs*>(attrs); }

struct Shapes {
  int T, B, I, H;
};

// Checks seq_len_max, x, cs_prev, h_prev, w, b (inputs 0–4 and 8) and reads the sizes.
bool check_shapes(TF_OpKernelContext* ctx, TF_Status* status, const Input* in, Shapes* s) {
  if (in[1].dims() != 3) return fail(ctx, status, "x must be 3-D [time, batch, input]");
  s->T = static_cast<int>(in[1].dim(0));
  s->B = static_cast<int>(in[1].dim(1));
  s->I = static_cast<int>(in[1].dim(2));
  if (in[4].dims() != 2 || in[4].dim(1) % 4 != 0)
    return fail(ctx, status, "w must be 2-D [input + units, 4·units]");
  s->H = static_cast<int>(in[4].dim(1) / 4);
  if (in[4].dim(0) != s->I + s->H)
    return fail(ctx, status, "w must have input + units rows");
  for (int k : {2, 3})
    if (in[k].dims() != 2 || in[k].dim(0) != s->B || in[k].dim(1) != s->H)
      return fail(ctx, status, "cs_prev and h_prev must be [batch, units]");
  if (in[8].dims() != 1 || in[8].dim(0) != 4 * s->H)
    return fail(ctx, status, "b must be [4·units]");
  const int64_t seq = *static_cast<const int64_t*>(TF_TensorData(in[0].tensor));
  if (seq != s->T) return fail(ctx, status, "seq_len_max must equal the time dimension of x");
  return true;
}

thread_local std::vector<float> scratch_a, scratch_b, scratch_e;
thread_local std::vector<int32_t> scratch_ids;

void compute_forward(void* state, TF_OpKernelContext* ctx) {
  const Attrs* attrs = static_cast<const Attrs*>(state);
  const FlushDenormals flush;
  TF_Status* status = TF_NewStatus();
  Input in[9];
  Shapes s{};
  Output out[7];
  if (get_inputs(ctx, status, in, 9) && check_shapes(ctx, status, in, &s)) {
    const int T = s.T, B = s.B, I = s.I, H = s.H, G = 4 * H, rows = T * B;
    bool ok = true;
    for (int k = 0; k < 7 && ok; k++) ok = allocate(ctx, status, k, {T, B, H}, &out[k]);
    if (ok && rows > 0 && H > 0) {
      const float* x = in[1].f();
      const float* w = in[4].f();
      const float* bias = in[8].f();
      const float* wh = w + static_cast<size_t>(I) * G;
      float *i_ = out[0].f(), *cs = out[1].f(), *f = out[2].f(), *o = out[3].f();
      float *ci = out[4].f(), *co = out[5].f(), *h = out[6].f();
      const size_t step = static_cast<size_t>(B) * H;
      const size_t zstep = static_cast<size_t>(B) * G;
      // Pre-activations z = x·W_x + b + h·W_h. With one-hot rows, x·W_x is the symbol's
      // row of W_x, gathered step by step into one [B, 4H] buffer; otherwise x·W_x of every
      // step is one product before the recurrence.
      const bool one_hot = I > 0 && one_hot_ids(x, rows, I, scratch_ids);
      float* z = scratch(scratch_a, one_hot ? zstep : rows * zstep / B);
      if (!one_hot) {
        if (I > 0)
          math.gemm(rows, G, I, x, I, w, G, z, G, false);
        else
          std::memset(z, 0, static_cast<size_t>(rows) * G * 4);
        for (int r = 0; r < rows; r++) math.add_row(G, z + static_cast<size_t>(r) * G, bias);
      }
      for (int t = 0; t < T; t++) {
        const float* h_prev = t == 0 ? in[3].f() : h + (t - 1) * step;
        const float* cs_prev = t == 0 ? in[2].f() : cs + (t - 1) * step;
        float* zt = one_hot ? z : z + static_cast<size_t>(t) * zstep;
        if (one_hot)
          for (int b = 0; b < B; b++)
            math.add_to(G, zt + static_cast<size_t>(b) * G,
                        w + static_cast<size_t>(scratch_ids[t * B + b]) * G, bias);
        math.gemm(B, G, H, h_prev, H, wh, G, zt, G, true);
        math.cell_forward(B, H, zt, cs_prev, attrs->forget_bias, attrs->cell_clip, i_ + t * step,
                          cs + t * step, f + t * step, o + t * step, ci + t * step,
                          co + t * step, h + t * step);
      }
    }
  }
  TF_DeleteStatus(status);
}

void compute_backward(void* state, TF_OpKernelContext* ctx) {
  const Attrs* attrs = static_cast<const Attrs*>(state);
  const FlushDenormals flush;
  TF_Status* status = TF_NewStatus();
  Input in[18];
  Shapes s{};
  Output out[8];
  if (get_inputs(ctx, status, in, 18) && check_shapes(ctx, status, in, &s)) {
    const int T = s.T, B = s.B, I = s.I, H = s.H, G = 4 * H, rows = T * B;
    bool ok = true;
    for (int k = 9; k < 18 && ok; k++)
      if (in[k].dims() != 3 || in[k].dim(0) != T || in[k].dim(1) != B || in[k].dim(2) != H)
        ok = fail(ctx, status, "the forward outputs and gradients must be [time, batch, units]");
    if (ok) ok = allocate(ctx, status, 0, {T, B, I}, &out[0]);
    if (ok) ok = allocate(ctx, status, 1, {B, H}, &out[1]);
    if (ok) ok = allocate(ctx, status, 2, {B, H}, &out[2]);
    if (ok) ok = allocate(ctx, status, 3, {I + H, G}, &out[3]);
    for (int k = 4; k < 7 && ok; k++) ok = allocate(ctx, status, k, {H}, &out[k]);
    if (ok) ok = allocate(ctx, status, 7, {G}, &out[7]);
    if (ok) {
      const float* x = in[1].f();
      const float* w = in[4].f();
      const float *i_ = in[9].f(), *cs = in[10].f(), *f = in[11].f(), *o = in[12].f();
      const float *ci = in[13].f(), *co = in[14].f(), *h = in[15].f();
      const float *cs_grad = in[16].f(), *h_grad = in[17].f();
      float *dx = out[0].f(), *dcs_prev = out[1].f(), *dh_prev = out[2].f();
      float *dw = out[3].f(), *db = out[7].f();
      for (int k = 4; k < 7; k++) std::memset(out[k].f(), 0, static_cast<size_t>(H) * 4);
      const size_t step = static_cast<size_t>(B) * H;
      std::memset(dcs_prev, 0, step * 4);
      std::memset(dh_prev, 0, step * 4);
      float* dz = scratch(scratch_a, static_cast<size_t>(rows) * G);
      float* wh_t = scratch(scratch_b, static_cast<size_t>(G) * H);
      transpose(w + static_cast<size_t>(I) * G, H, G, G, wh_t);  // [G, H]
      // The recurrence, last step first: the element-wise cell, dz·W_hᵀ for the step
      // before, and h_{t−1}ᵀ·dz added to W_h's gradient while dz is in cache (h_{−1} is
      // h_prev). dh_prev and dcs_prev carry the gradients from step t to step t − 1.
      float* dwh = dw + static_cast<size_t>(I) * G;
      if (T == 0) std::memset(dwh, 0, static_cast<size_t>(H) * G * 4);
      for (int t = T - 1; t >= 0; t--) {
        const size_t at = static_cast<size_t>(t) * step;
        const float* cs_before = t == 0 ? in[2].f() : cs + at - step;
        const float* h_before = t == 0 ? in[3].f() : h + at - step;
        float* dzt = dz + static_cast<size_t>(t) * B * G;
        math.cell_backward(B, H, h_grad + at, dh_prev, cs_grad + at, i_ + at, cs_before, f + at,
                           o + at, ci + at, co + at, dzt, dcs_prev);
        math.gemm(B, H, G, dzt, G, wh_t, H, dh_prev, H, false);
        math.gemm_tn(H, G, B, h_before, H, dzt, G, dwh, G, t < T - 1);
      }
      // Bias gradient: the rows of dz summed in order.
      std::memset(db, 0, static_cast<size_t>(G) * 4);
      for (int r = 0; r < rows; r++) math.add_row(G, db, dz + static_cast<size_t>(r) * G);
      // W_x gradient: xᵀ · dz (the rows of dz added to their symbol's row when x is one-hot).
      if (I > 0) {
        if (one_hot_ids(x, rows, I, scratch_ids)) {
          std::memset(dw, 0, static_cast<size_t>(I) * G * 4);
          for (int r = 0; r < rows; r++)
            math.add_row(G, dw + static_cast<size_t>(scratch_ids[r]) * G, dz + static_cast<size_t>(r) * G);
        } else {
          math.gemm_tn(I, G, rows, x, I, dz, G, dw, G, false);
        }
        // Input gradient: dz · W_xᵀ, unless the caller has no use for it.
        if (attrs->compute_x_grad) {
          float* wx_t = scratch(scratch_e, static_cast<size_t>(G) * I);
          transpose(w, I, G, G, wx_t);  // [G, I]
          math.gemm(rows, I, G, dz, G, wx_t, I, dx, I, false);
        } else {
          std::memset(dx, 0, static_cast<size_t>(rows) * I * 4);
        }
      }
    }
  }
  TF_DeleteStatus(status);
}

// ----------------------------------------------------------------------------------------
// The softmax output layer with its loss and gradients, in one kernel:
//   logits = h·W + b, loss_n = log Σ_v e^{logits_nv} − logits_n,target_n,
//   dlogits = softmax(logits) − onehot(target), dW = hᵀ·dlogits, db = Σ_n dlogits,
//   dh = dlogits·Wᵀ
// for h [..., H] (any leading shape, N rows in all), W [H, V], b [V], targets [N] int32.
// It replaces Reshape, MatMul, BiasAdd, SparseSoftmaxCrossEntropyWithLogits, three
// products and a Sum in a training step; the loss is of each row, not averaged.

void* create_plain(TF_OpKernelConstruction*) { return new Attrs(); }

void compute_softmax_loss(void*, TF_OpKernelContext* ctx) {
  const FlushDenormals flush;
  TF_Status* status = TF_NewStatus();
  Input in[4];
  Output out[4];
  if (get_inputs(ctx, status, in, 4)) {
    bool ok = true;
    const int rank = in[0].dims();
    if (rank < 2 || in[1].dims() != 2 || in[2].dims() != 1 || in[3].dims() != 1)
      ok = fail(ctx, status, "expects h [..., H], W [H, V], b [V] and targets [N]");
    const int H = ok ? static_cast<int>(in[0].dim(rank - 1)) : 0;
    int64_t rows64 = 1;
    for (int d = 0; ok && d < rank - 1; d++) rows64 *= in[0].dim(d);
    const int N = static_cast<int>(rows64);
    const int V = ok ? static_cast<int>(in[1].dim(1)) : 0;
    if (ok && (in[1].dim(0) != H || in[2].dim(0) != V || in[3].dim(0) != N))
      ok = fail(ctx, status, "h, W, b and targets do not fit together");
    if (ok && V < 1) ok = fail(ctx, status, "the vocabulary is empty");
    const int32_t* targets = ok ? static_cast<const int32_t*>(TF_TensorData(in[3].tensor)) : nullptr;
    for (int n = 0; ok && n < N; n++)
      if (targets[n] < 0 || targets[n] >= V) ok = fail(ctx, status, "a target is outside the vocabulary");
    if (ok) ok = allocate(ctx, status, 0, {N}, &out[0]);
    if (ok) {
      std::vector<int64_t> dims(static_cast<size_t>(rank));
      for (int d = 0; d < rank; d++) dims[d] = in[0].dim(d);
      out[1].tensor = TF_AllocateOutput(ctx, 1, TF_FLOAT, dims.data(), rank,
                                        static_cast<size_t>(N) * H * 4, status);
      if (TF_GetCode(status) != TF_OK) {
        TF_OpKernelContext_Failure(ctx, status);
        ok = false;
      }
    }
    if (ok) ok = allocate(ctx, status, 2, {H, V}, &out[2]);
    if (ok) ok = allocate(ctx, status, 3, {V}, &out[3]);
    if (ok) {
      const float *h = in[0].f(), *w = in[1].f(), *b = in[2].f();
      float *loss = out[0].f(), *dh = out[1].f(), *dw = out[2].f(), *db = out[3].f();
      const size_t cells = static_cast<size_t>(N) * V;
      float* logits = scratch(scratch_a, cells * 2);
      float* dlogits = logits + cells;
      math.gemm(N, V, H, h, H, w, V, logits, V, false);
      for (int n = 0; n < N; n++) {
        float* row = logits + static_cast<size_t>(n) * V;
        math.add_row(V, row, b);
        float top = row[0];
        for (int v = 1; v < V; v++) top = row[v] > top ? row[v] : top;
        for (int v = 0; v < V; v++) row[v] -= top;
      }
      math.exp_all(static_cast<int>(cells), logits, dlogits);
      for (int n = 0; n < N; n++) {
        const float* shifted = logits + static_cast<size_t>(n) * V;
        float* p = dlogits + static_cast<size_t>(n) * V;
        float sum = 0.f;
        for (int v = 0; v < V; v++) sum += p[v];
        loss[n] = std::log(sum) - shifted[targets[n]];
        const float scale = 1.0f / sum;
        for (int v = 0; v < V; v++) p[v] *= scale;
        p[targets[n]] -= 1.0f;
      }
      std::memset(db, 0, static_cast<size_t>(V) * 4);
      for (int n = 0; n < N; n++) math.add_row(V, db, dlogits + static_cast<size_t>(n) * V);
      math.gemm_tn(H, V, N, h, H, dlogits, V, dw, V, false);
      float* w_t = scratch(scratch_b, static_cast<size_t>(V) * H);
      transpose(w, H, V, V, w_t);  // [V, H]
      math.gemm(N, H, V, dlogits, V, w_t, H, dh, H, false);
    }
  }
  TF_DeleteStatus(status);
}

// ----------------------------------------------------------------------------------------
// Global-norm clipping and the SGD update, in one kernel, for N parameters:
//   total = Σ_i Σ_j g_ij² / 2 (summed in double, parameters in order), and
//   step = k / √max(total, floor) when floor > 0, else step = k;
//   updated_i = p_i − step · g_i.
// With k = lr·clip/√2 and floor = (clip·rows)²/2 this is SGD on the mean gradient clipped
// to global norm `clip` (see src-main/engine/optimizer.ts); with floor ≤ 0, k = lr/rows.
// Inputs: params (N), grads (N), floor and k (scalars); outputs: the N updated params.

void compute_clip_sgd(void*, TF_OpKernelContext* ctx) {
  const FlushDenormals flush;
  TF_Status* status = TF_NewStatus();
  const int count = (TF_NumInputs(ctx) - 2) / 2;
  std::vector<Input> in(static_cast<size_t>(2 * count + 2));
  std::vector<Output> out(static_cast<size_t>(count));
  bool ok = get_inputs(ctx, status, in.data(), 2 * count + 2);
  for (int k = 0; ok && k < count; k++) {
    const Input& p = in[k];
    const Input& g = in[count + k];
    bool same = p.dims() == g.dims();
    for (int d = 0; same && d < p.dims(); d++) same = p.dim(d) == g.dim(d);
    if (!same) ok = fail(ctx, status, "each gradient must have its parameter's shape");
  }
  if (ok) {
    double total = 0;
    for (int k = 0; k < count; k++) {
      const Input& g = in[count + k];
      const float* values = g.f();
      const size_t n = TF_TensorElementCount(g.tensor);
      double sum = 0;
      for (size_t j = 0; j < n; j++) sum += static_cast<double>(values[j]) * values[j];
      total += sum / 2;
    }
    const float floor = *in[2 * count].f();
    const float k_value = *in[2 * count + 1].f();
    const float step = floor > 0.f ? k_value / static_cast<float>(std::sqrt(std::max(
                                                   total, static_cast<double>(floor))))
                                   : k_value;
    for (int k = 0; ok && k < count; k++) {
      const Input& p = in[k];
      std::vector<int64_t> dims(static_cast<size_t>(p.dims()));
      for (int d = 0; d < p.dims(); d++) dims[d] = p.dim(d);
      const size_t n = TF_TensorElementCount(p.tensor);
      out[k].tensor = TF_AllocateOutput(ctx, k, TF_FLOAT, dims.data(), p.dims(), n * 4, status);
      if (TF_GetCode(status) != TF_OK) {
        TF_OpKernelContext_Failure(ctx, status);
        ok = false;
        break;
      }
      math.axpy_into(static_cast<int>(n), -step, in[count + k].f(), p.f(), out[k].f());
    }
  }
  TF_DeleteStatus(status);
}

// ----------------------------------------------------------------------------------------
// Registration.

const char* const kForward = "LstmStudioBlockLSTM";
const char* const kBackward = "LstmStudioBlockLSTMGrad";
const char* const kSoftmaxLoss = "LstmStudioSoftmaxLoss";
const char* const kClipSgd = "LstmStudioClipSgd";
const char* const kCommonInputs[] = {"seq_len_max: int64", "x: T",   "cs_prev: T",
                                     "h_prev: T",          "w: T",   "wci: T",
                                     "wcf: T",             "wco: T", "b: T"};
const char* const kForwardOutputs[] = {"i: T", "cs: T", "f: T", "o: T", "ci: T", "co: T", "h: T"};

std::string registration_error;
bool registered = false;

bool check(TF_Status* status, const char* what) {
  if (TF_GetCode(status) == TF_OK) return true;
  registration_error = std::string(what) + ": " + TF_Message(status);
  return false;
}

void register_ops() {
  if (registered || !registration_error.empty()) return;
  TF_Status* status = TF_NewStatus();
  {
    TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(kForward);
    for (const char* input : kCommonInputs) TF_OpDefinitionBuilderAddInput(op, input);
    for (const char* output : kForwardOutputs) TF_OpDefinitionBuilderAddOutput(op, output);
    TF_OpDefinitionBuilderAddAttr(op, "forget_bias: float = 1.0");
    TF_OpDefinitionBuilderAddAttr(op, "cell_clip: float = 3.0");
    TF_OpDefinitionBuilderAddAttr(op, "use_peephole: bool = false");
    TF_OpDefinitionBuilderAddAttr(op, "T: {float}");
    TF_RegisterOpDefinition(op, status);
  }
  if (check(status, kForward)) {
    TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(kBackward);
    for (const char* input : kCommonInputs) TF_OpDefinitionBuilderAddInput(op, input);
    for (const char* output : kForwardOutputs) TF_OpDefinitionBuilderAddInput(op, output);
    TF_OpDefinitionBuilderAddInput(op, "cs_grad: T");
    TF_OpDefinitionBuilderAddInput(op, "h_grad: T");
    for (const char* output : {"x_grad: T", "cs_prev_grad: T", "h_prev_grad: T", "w_grad: T",
                               "wci_grad: T", "wcf_grad: T", "wco_grad: T", "b_grad: T"})
      TF_OpDefinitionBuilderAddOutput(op, output);
    TF_OpDefinitionBuilderAddAttr(op, "use_peephole: bool = false");
    TF_OpDefinitionBuilderAddAttr(op, "compute_x_grad: bool = true");
    TF_OpDefinitionBuilderAddAttr(op, "T: {float}");
    TF_RegisterOpDefinition(op, status);
  }
  if (check(status, kBackward)) {
    TF_KernelBuilder* kernel =
        TF_NewKernelBuilder(kForward, "CPU", create_forward, compute_forward, delete_attrs);
    TF_KernelBuilder_TypeConstraint(kernel, "T", TF_FLOAT, status);
    if (check(status, "forward type")) TF_RegisterKernelBuilder(kForward, kernel, status);
  }
  if (check(status, "forward kernel")) {
    TF_KernelBuilder* kernel =
        TF_NewKernelBuilder(kBackward, "CPU", create_backward, compute_backward, delete_attrs);
    TF_KernelBuilder_TypeConstraint(kernel, "T", TF_FLOAT, status);
    if (check(status, "backward type")) TF_RegisterKernelBuilder(kBackward, kernel, status);
  }
  if (check(status, "backward kernel")) {
    TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(kSoftmaxLoss);
    for (const char* input : {"h: float", "w: float", "b: float", "targets: int32"})
      TF_OpDefinitionBuilderAddInput(op, input);
    for (const char* output : {"loss: float", "h_grad: float", "w_grad: float", "b_grad: float"})
      TF_OpDefinitionBuilderAddOutput(op, output);
    TF_RegisterOpDefinition(op, status);
  }
  if (check(status, kSoftmaxLoss)) {
    TF_KernelBuilder* kernel = TF_NewKernelBuilder(kSoftmaxLoss, "CPU", create_plain,
                                                   compute_softmax_loss, delete_attrs);
    TF_RegisterKernelBuilder(kSoftmaxLoss, kernel, status);
  }
  if (check(status, "softmax loss kernel")) {
    TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder(kClipSgd);
    for (const char* input : {"params: N * float", "grads: N * float", "floor: float", "k: float"})
      TF_OpDefinitionBuilderAddInput(op, input);
    TF_OpDefinitionBuilderAddOutput(op, "updated: N * float");
    TF_OpDefinitionBuilderAddAttr(op, "N: int >= 1");
    TF_RegisterOpDefinition(op, status);
  }
  if (check(status, kClipSgd)) {
    TF_KernelBuilder* kernel =
        TF_NewKernelBuilder(kClipSgd, "CPU", create_plain, compute_clip_sgd, delete_attrs);
    TF_RegisterKernelBuilder(kClipSgd, kernel, status);
  }
  if (check(status, "clip SGD kernel")) registered = true;
  TF_DeleteStatus(status);
}

napi_value make_string(napi_env env, const char* text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

}  // namespace

NAPI_MODULE_INIT() {
  register_ops();
  napi_value result;
  napi_create_object(env, &result);
  napi_value ok;
  napi_get_boolean(env, registered, &ok);
  napi_set_named_property(env, result, "registered", ok);
  napi_set_named_property(env, result, "isa", make_string(env, math.name));
  napi_set_named_property(env, result, "forward", make_string(env, kForward));
  napi_set_named_property(env, result, "backward", make_string(env, kBackward));
  napi_set_named_property(env, result, "softmaxLoss", make_string(env, kSoftmaxLoss));
  napi_set_named_property(env, result, "clipSgd", make_string(env, kClipSgd));
  napi_set_named_property(env, result, "error", make_string(env, registration_error.c_str()));
  return result;
}
