// LstmStudioBlockLSTM and LstmStudioBlockLSTMGrad: a whole unrolled LSTM sequence forward,
// and backward, with TensorFlow's BlockLSTM (v1) inputs, attributes and outputs (gate
// blocks i, c, f, o; `forget_bias`, `cell_clip`; no peepholes), plus `compute_x_grad` on
// the backward kernel.
//
// What they do differently from TensorFlow's pair, whose time is arithmetic:
//   - the input part of every step, x·W_x, is one product before the recurrence, or, when
//     every row of x is one-hot (the bottom layer of a character model), a row gather —
//     exact, since the product of a one-hot row is that row of W_x;
//   - only h·W_h stays inside the recurrence, forward and backward;
//   - the weight gradients are accumulated while each step's gate gradients are in cache,
//     and the input gradient is one product after the recurrence, skipped when the caller
//     asks (`compute_x_grad = false`, the bottom layer: nothing uses it);
//   - the arithmetic runs on the widest vector unit the CPU has (kernel_math.cc).
// Every size and offset is 64-bit; plan_lstm refuses shapes whose sizes would overflow.
#include <string.h>

#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace kernels {
namespace {

struct Attrs {
  float forget_bias = 1.0f;
  float cell_clip = 3.0f;
  bool compute_x_grad = true;
};

void* create_forward(tfapi::OpKernelConstruction* ctx) {
  Attrs* attrs = new Attrs();
  tfapi::Status* status = tf.NewStatus();
  tf.OpKernelConstruction_GetAttrFloat(ctx, "forget_bias", &attrs->forget_bias, status);
  if (tf.GetCode(status) == tfapi::kOk)
    tf.OpKernelConstruction_GetAttrFloat(ctx, "cell_clip", &attrs->cell_clip, status);
  tfapi::Bool peephole = 0;
  if (tf.GetCode(status) == tfapi::kOk)
    tf.OpKernelConstruction_GetAttrBool(ctx, "use_peephole", &peephole, status);
  if (tf.GetCode(status) == tfapi::kOk && peephole)
    tf.SetStatus(status, tfapi::kUnimplemented, "LstmStudioBlockLSTM has no peepholes");
  if (tf.GetCode(status) != tfapi::kOk) tf.OpKernelConstruction_Failure(ctx, status);
  tf.DeleteStatus(status);
  return attrs;
}

void* create_backward(tfapi::OpKernelConstruction* ctx) {
  Attrs* attrs = new Attrs();
  tfapi::Status* status = tf.NewStatus();
  tfapi::Bool peephole = 0, x_grad = 1;
  tf.OpKernelConstruction_GetAttrBool(ctx, "use_peephole", &peephole, status);
  if (tf.GetCode(status) == tfapi::kOk)
    tf.OpKernelConstruction_GetAttrBool(ctx, "compute_x_grad", &x_grad, status);
  if (tf.GetCode(status) == tfapi::kOk && peephole)
    tf.SetStatus(status, tfapi::kUnimplemented, "LstmStudioBlockLSTMGrad has no peepholes");
  if (tf.GetCode(status) != tfapi::kOk) tf.OpKernelConstruction_Failure(ctx, status);
  attrs->compute_x_grad = x_grad != 0;
  tf.DeleteStatus(status);
  return attrs;
}

// Checks seq_len_max, x, cs_prev, h_prev, w and b (inputs 0–4 and 8) and plans the sizes.
bool check_shapes(tfapi::OpKernelContext* ctx, Status& status, const Input* in, LstmPlan* s) {
  if (in[1].dims() != 3) return fail(ctx, status, "x must be 3-D [time, batch, input]");
  if (in[4].dims() != 2 || in[4].dim(1) % 4 != 0)
    return fail(ctx, status, "w must be 2-D [input + units, 4·units]");
  const char* problem = plan_lstm(in[1].dim(0), in[1].dim(1), in[1].dim(2), in[4].dim(1) / 4, s);
  if (problem) return fail(ctx, status, problem);
  if (in[4].dim(0) != s->I + s->H) return fail(ctx, status, "w must have input + units rows");
  for (int k : {2, 3})
    if (in[k].dims() != 2 || in[k].dim(0) != s->B || in[k].dim(1) != s->H)
      return fail(ctx, status, "cs_prev and h_prev must be [batch, units]");
  if (in[8].dims() != 1 || in[8].dim(0) != s->G)
    return fail(ctx, status, "b must be [4·units]");
  if (in[0].dims() != 0) return fail(ctx, status, "seq_len_max must be a scalar");
  const int64_t seq = *static_cast<const int64_t*>(tf.TensorData(in[0].tensor));
  if (seq != s->T) return fail(ctx, status, "seq_len_max must equal the time dimension of x");
  return true;
}

thread_local std::vector<float> scratch_z, scratch_wt;
thread_local std::vector<idx> scratch_ids;

void compute_forward(void* state, tfapi::OpKernelContext* ctx) {
  const Attrs* attrs = static_cast<const Attrs*>(state);
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    Input in[9];
    LstmPlan s{};
    Output out[7];
    if (!get_inputs(ctx, status, in, 9) || !check_shapes(ctx, status, in, &s)) return;
    const idx T = s.T, B = s.B, I = s.I, H = s.H, G = s.G, rows = s.rows;
    for (int k = 0; k < 7; k++)
      if (!allocate(ctx, status, k, {T, B, H}, &out[k])) return;
    if (rows == 0 || H == 0) return;
    const float* x = in[1].f();
    const float* w = in[4].f();
    const float* bias = in[8].f();
    const float* wh = w + I * G;
    float *i_ = out[0].f(), *cs = out[1].f(), *f = out[2].f(), *o = out[3].f();
    float *ci = out[4].f(), *co = out[5].f(), *h = out[6].f();
    const idx step = B * H;
    const idx zstep = B * G;
    // Pre-activations z = x·W_x + b + h·W_h. With one-hot rows, x·W_x is the symbol's row
    // of W_x, gathered step by step into one [B, 4H] buffer; otherwise x·W_x of every step
    // is one product before the recurrence.
    const bool one_hot = I > 0 && one_hot_ids(x, rows, I, scratch_ids);
    float* z = scratch(ctx, status, scratch_z, one_hot ? zstep : rows * G);
    if (!z) return;
    if (!one_hot) {
      if (I > 0)
        math.gemm(rows, G, I, x, I, w, G, z, G, false);
      else
        memset(z, 0, static_cast<size_t>(rows * G) * sizeof(float));
      for (idx r = 0; r < rows; r++) math.add_row(G, z + r * G, bias);
    }
    for (idx t = 0; t < T; t++) {
      const float* h_prev = t == 0 ? in[3].f() : h + (t - 1) * step;
      const float* cs_prev = t == 0 ? in[2].f() : cs + (t - 1) * step;
      float* zt = one_hot ? z : z + t * zstep;
      if (one_hot)
        for (idx b = 0; b < B; b++)
          math.add_to(G, zt + b * G, w + scratch_ids[static_cast<size_t>(t * B + b)] * G, bias);
      math.gemm(B, G, H, h_prev, H, wh, G, zt, G, true);
      math.cell_forward(B, H, zt, cs_prev, attrs->forget_bias, attrs->cell_clip, i_ + t * step,
                        cs + t * step, f + t * step, o + t * step, ci + t * step, co + t * step,
                        h + t * step);
    }
  });
}

void compute_backward(void* state, tfapi::OpKernelContext* ctx) {
  const Attrs* attrs = static_cast<const Attrs*>(state);
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    Input in[18];
    LstmPlan s{};
    Output out[8];
    if (!get_inputs(ctx, status, in, 18) || !check_shapes(ctx, status, in, &s)) return;
    const idx T = s.T, B = s.B, I = s.I, H = s.H, G = s.G, rows = s.rows;
    for (int k = 9; k < 18; k++)
      if (in[k].dims() != 3 || in[k].dim(0) != T || in[k].dim(1) != B || in[k].dim(2) != H) {
        fail(ctx, status, "the forward outputs and gradients must be [time, batch, units]");
        return;
      }
    if (!allocate(ctx, status, 0, {T, B, I}, &out[0]) ||
        !allocate(ctx, status, 1, {B, H}, &out[1]) || !allocate(ctx, status, 2, {B, H}, &out[2]) ||
        !allocate(ctx, status, 3, {I + H, G}, &out[3]))
      return;
    for (int k = 4; k < 7; k++)
      if (!allocate(ctx, status, k, {H}, &out[k])) return;
    if (!allocate(ctx, status, 7, {G}, &out[7])) return;
    const float* x = in[1].f();
    const float* w = in[4].f();
    const float *i_ = in[9].f(), *cs = in[10].f(), *f = in[11].f(), *o = in[12].f();
    const float *ci = in[13].f(), *co = in[14].f(), *h = in[15].f();
    const float *cs_grad = in[16].f(), *h_grad = in[17].f();
    float *dx = out[0].f(), *dcs_prev = out[1].f(), *dh_prev = out[2].f();
    float *dw = out[3].f(), *db = out[7].f();
    const size_t F = sizeof(float);
    for (int k = 4; k < 7; k++) memset(out[k].f(), 0, static_cast<size_t>(H) * F);
    const idx step = B * H;
    memset(dcs_prev, 0, static_cast<size_t>(step) * F);
    memset(dh_prev, 0, static_cast<size_t>(step) * F);
    float* dz = scratch(ctx, status, scratch_z, rows * G);
    if (!dz) return;
    float* wh_t = scratch(ctx, status, scratch_wt, G * (H > I ? H : I));
    if (!wh_t) return;
    transpose(w + I * G, H, G, G, wh_t);  // [G, H]
    // The recurrence, last step first: the element-wise cell, dz·W_hᵀ for the step before,
    // and h_{t−1}ᵀ·dz added to W_h's gradient while dz is in cache (h_{−1} is h_prev).
    // dh_prev and dcs_prev carry the gradients from step t to step t − 1.
    float* dwh = dw + I * G;
    if (T == 0) memset(dwh, 0, static_cast<size_t>(H * G) * F);
    for (idx t = T - 1; t >= 0; t--) {
      const idx at = t * step;
      const float* cs_before = t == 0 ? in[2].f() : cs + at - step;
      const float* h_before = t == 0 ? in[3].f() : h + at - step;
      float* dzt = dz + t * B * G;
      math.cell_backward(B, H, h_grad + at, dh_prev, cs_grad + at, i_ + at, cs_before, f + at,
                         o + at, ci + at, co + at, dzt, dcs_prev);
      math.gemm(B, H, G, dzt, G, wh_t, H, dh_prev, H, false);
      math.gemm_tn(H, G, B, h_before, H, dzt, G, dwh, G, t < T - 1);
    }
    // Bias gradient: the rows of dz summed in order.
    memset(db, 0, static_cast<size_t>(G) * F);
    for (idx r = 0; r < rows; r++) math.add_row(G, db, dz + r * G);
    if (I == 0) return;
    // W_x gradient: xᵀ · dz (the rows of dz added to their symbol's row when x is one-hot).
    if (one_hot_ids(x, rows, I, scratch_ids)) {
      memset(dw, 0, static_cast<size_t>(I * G) * F);
      for (idx r = 0; r < rows; r++)
        math.add_row(G, dw + scratch_ids[static_cast<size_t>(r)] * G, dz + r * G);
    } else {
      math.gemm_tn(I, G, rows, x, I, dz, G, dw, G, false);
    }
    // Input gradient: dz · W_xᵀ, unless the caller has no use for it (then zeros).
    if (!attrs->compute_x_grad) {
      memset(dx, 0, static_cast<size_t>(rows * I) * F);
      return;
    }
    float* wx_t = wh_t;  // W_hᵀ is no longer needed
    transpose(w, I, G, G, wx_t);  // [G, I]
    math.gemm(rows, I, G, dz, G, wx_t, I, dx, I, false);
  });
}

void delete_attrs(void* attrs) { delete static_cast<Attrs*>(attrs); }

}  // namespace

const KernelEntry kLstmForward = {create_forward, compute_forward, delete_attrs};
const KernelEntry kLstmBackward = {create_backward, compute_backward, delete_attrs};

}  // namespace kernels
