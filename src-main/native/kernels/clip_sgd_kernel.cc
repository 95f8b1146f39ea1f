// LstmStudioClipSgd: global-norm clipping and the SGD update, in one kernel, for N
// parameters:
//   total = Σ_i Σ_j g_ij² / 2 (summed in double, parameters in order), and
//   step = k / √max(total, floor) when floor > 0, else step = k;
//   updated_i = p_i − step · g_i.
// With k = lr·clip/√2 and floor = (clip·rows)²/2 this is SGD on the mean gradient clipped
// to global norm `clip` (src-main/engine/handles.ts, sgdScalars); with floor ≤ 0,
// k = lr/rows. Inputs: params (N), grads (N), floor and k (scalars); outputs: the N
// updated params. LstmStudioClipAdam (below): the same clipping, then Adam.
#include <math.h>

#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace kernels {
namespace {

void* create(tfapi::OpKernelConstruction*) { return nullptr; }
void destroy(void*) {}

// Whether every input group [first + g·count, first + g·count + count) has, tensor for
// tensor, the shape of the parameters (inputs [0, count)).
bool same_shapes(const std::vector<Input>& in, int count, int groups) {
  for (int group = 1; group < groups; group++)
    for (int k = 0; k < count; k++) {
      const Input& p = in[static_cast<size_t>(k)];
      const Input& t = in[static_cast<size_t>(group * count + k)];
      bool same = p.dims() == t.dims();
      for (int d = 0; same && d < p.dims(); d++) same = p.dim(d) == t.dim(d);
      if (!same) return false;
    }
  return true;
}

// The clipping step: total = Σ‖g‖²/2 over the gradients in[count, 2·count) (in double),
// then k/√max(total, floor), or k when floor ≤ 0.
float clip_step(const std::vector<Input>& in, int count, float floor, float k_value) {
  double total = 0;
  for (int k = 0; k < count; k++) {
    const Input& g = in[static_cast<size_t>(count + k)];
    const float* values = g.f();
    const idx n = tf.TensorElementCount(g.tensor);
    double sum = 0;
    for (idx j = 0; j < n; j++) sum += static_cast<double>(values[j]) * values[j];
    total += sum / 2;
  }
  const double bounded = total < floor ? static_cast<double>(floor) : total;  // std::max's rule
  return floor > 0.f ? k_value / static_cast<float>(sqrt(bounded)) : k_value;
}

// Reads `groups`·N tensors and `scalars` scalars; N from the input count. 0 on failure
// (the kernel has failed with one line).
int read_update_inputs(tfapi::OpKernelContext* ctx, Status& status, std::vector<Input>& in,
                       int groups, int scalars, const char* expects) {
  const int count = (tf.NumInputs(ctx) - scalars) / groups;
  if (count < 1 || groups * count + scalars != tf.NumInputs(ctx)) {
    fail(ctx, status, expects);
    return 0;
  }
  in = std::vector<Input>(static_cast<size_t>(groups * count + scalars));
  if (!get_inputs(ctx, status, in.data(), groups * count + scalars)) return 0;
  if (!same_shapes(in, count, groups)) {
    fail(ctx, status, "each gradient and slot must have its parameter's shape");
    return 0;
  }
  for (int k = groups * count; k < groups * count + scalars; k++)
    if (tf.TensorElementCount(in[static_cast<size_t>(k)].tensor) != 1) {
      fail(ctx, status, "the update's constants must be scalars");
      return 0;
    }
  return count;
}

// Allocates output `index` with the shape of input `like`.
bool allocate_like(tfapi::OpKernelContext* ctx, Status& status, int index, const Input& like,
                   Output* out) {
  std::vector<idx> dims(static_cast<size_t>(like.dims()));
  for (int d = 0; d < like.dims(); d++) dims[static_cast<size_t>(d)] = like.dim(d);
  return allocate(ctx, status, index, dims.data(), like.dims(), out);
}

void compute(void*, tfapi::OpKernelContext* ctx) {
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    std::vector<Input> in;
    const int count =
        read_update_inputs(ctx, status, in, 2, 2, "expects N parameters, N gradients, floor and k");
    if (count == 0) return;
    const float floor = *in[static_cast<size_t>(2 * count)].f();
    const float k_value = *in[static_cast<size_t>(2 * count + 1)].f();
    const float step = clip_step(in, count, floor, k_value);
    std::vector<Output> out(static_cast<size_t>(count));
    for (int k = 0; k < count; k++) {
      const Input& p = in[static_cast<size_t>(k)];
      if (!allocate_like(ctx, status, k, p, &out[static_cast<size_t>(k)])) return;
      math.axpy_into(tf.TensorElementCount(p.tensor), -step, in[static_cast<size_t>(count + k)].f(),
                     p.f(), out[static_cast<size_t>(k)].f());
    }
  });
}

// LstmStudioClipAdam: the same clipping step, then Adam, element by element in float, in
// the order of the separate ops (src-main/engine/optimizer.ts):
//   g = grad·step; m ← m + (g − m)·b1c; v ← v + (g² − v)·b2c; p ← p − (m/(√v + ε))·rate.
// Inputs: params, grads, m, v (N each), floor, k, rate, b1c (1 − β1), b2c (1 − β2), ε;
// outputs: the N updated params, then the N new m, then the N new v.
void compute_adam(void*, tfapi::OpKernelContext* ctx) {
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    std::vector<Input> in;
    const int count = read_update_inputs(
        ctx, status, in, 4, 6,
        "expects N parameters, N gradients, N m and N v slots, floor, k, rate, 1 − β1, 1 − β2 "
        "and ε");
    if (count == 0) return;
    const auto scalar = [&](int k) { return *in[static_cast<size_t>(4 * count + k)].f(); };
    const float step = clip_step(in, count, scalar(0), scalar(1));
    const float rate = scalar(2), b1c = scalar(3), b2c = scalar(4), epsilon = scalar(5);
    std::vector<Output> out(static_cast<size_t>(3 * count));
    for (int k = 0; k < count; k++) {
      const Input& p = in[static_cast<size_t>(k)];
      for (int group = 0; group < 3; group++)
        if (!allocate_like(ctx, status, group * count + k, p,
                           &out[static_cast<size_t>(group * count + k)]))
          return;
      const float* param = p.f();
      const float* grad = in[static_cast<size_t>(count + k)].f();
      const float* m = in[static_cast<size_t>(2 * count + k)].f();
      const float* v = in[static_cast<size_t>(3 * count + k)].f();
      float* param_out = out[static_cast<size_t>(k)].f();
      float* m_out = out[static_cast<size_t>(count + k)].f();
      float* v_out = out[static_cast<size_t>(2 * count + k)].f();
      const idx n = tf.TensorElementCount(p.tensor);
      for (idx j = 0; j < n; j++) {
        const float g = grad[j] * step;
        const float m_next = m[j] + (g - m[j]) * b1c;
        const float v_next = v[j] + (g * g - v[j]) * b2c;
        m_out[j] = m_next;
        v_out[j] = v_next;
        param_out[j] = param[j] - (m_next / (sqrtf(v_next) + epsilon)) * rate;
      }
    }
  });
}

}  // namespace

const KernelEntry kClipSgd = {create, compute, destroy};
const KernelEntry kClipAdam = {create, compute_adam, destroy};

}  // namespace kernels
