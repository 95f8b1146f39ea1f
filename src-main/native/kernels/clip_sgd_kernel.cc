// LstmStudioClipSgd: global-norm clipping and the SGD update, in one kernel, for N
// parameters:
//   total = Σ_i Σ_j g_ij² / 2 (summed in double, parameters in order), and
//   step = k / √max(total, floor) when floor > 0, else step = k;
//   updated_i = p_i − step · g_i.
// With k = lr·clip/√2 and floor = (clip·rows)²/2 this is SGD on the mean gradient clipped
// to global norm `clip` (src-main/engine/handles.ts, sgdScalars); with floor ≤ 0,
// k = lr/rows. Inputs: params (N), grads (N), floor and k (scalars); outputs: the N
// updated params.
#include <math.h>

#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace kernels {
namespace {

void* create(tfapi::OpKernelConstruction*) { return nullptr; }
void destroy(void*) {}

void compute(void*, tfapi::OpKernelContext* ctx) {
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    const int count = (tf.NumInputs(ctx) - 2) / 2;
    if (count < 1) {
      fail(ctx, status, "expects N parameters, N gradients, floor and k");
      return;
    }
    std::vector<Input> in(static_cast<size_t>(2 * count + 2));
    std::vector<Output> out(static_cast<size_t>(count));
    if (!get_inputs(ctx, status, in.data(), 2 * count + 2)) return;
    for (int k = 0; k < count; k++) {
      const Input& p = in[static_cast<size_t>(k)];
      const Input& g = in[static_cast<size_t>(count + k)];
      bool same = p.dims() == g.dims();
      for (int d = 0; same && d < p.dims(); d++) same = p.dim(d) == g.dim(d);
      if (!same) {
        fail(ctx, status, "each gradient must have its parameter's shape");
        return;
      }
    }
    for (int k = 2 * count; k < 2 * count + 2; k++)
      if (tf.TensorElementCount(in[static_cast<size_t>(k)].tensor) != 1) {
        fail(ctx, status, "floor and k must be scalars");
        return;
      }
    double total = 0;
    for (int k = 0; k < count; k++) {
      const Input& g = in[static_cast<size_t>(count + k)];
      const float* values = g.f();
      const idx n = tf.TensorElementCount(g.tensor);
      double sum = 0;
      for (idx j = 0; j < n; j++) sum += static_cast<double>(values[j]) * values[j];
      total += sum / 2;
    }
    const float floor = *in[static_cast<size_t>(2 * count)].f();
    const float k_value = *in[static_cast<size_t>(2 * count + 1)].f();
    const double bounded = total < floor ? static_cast<double>(floor) : total;  // std::max's rule
    const float step = floor > 0.f ? k_value / static_cast<float>(sqrt(bounded)) : k_value;
    for (int k = 0; k < count; k++) {
      const Input& p = in[static_cast<size_t>(k)];
      std::vector<idx> dims(static_cast<size_t>(p.dims()));
      for (int d = 0; d < p.dims(); d++) dims[static_cast<size_t>(d)] = p.dim(d);
      if (!allocate(ctx, status, k, dims.data(), p.dims(), &out[static_cast<size_t>(k)])) return;
      math.axpy_into(tf.TensorElementCount(p.tensor), -step, in[static_cast<size_t>(count + k)].f(),
                     p.f(), out[static_cast<size_t>(k)].f());
    }
  });
}

}  // namespace

const KernelEntry kClipSgd = {create, compute, destroy};

}  // namespace kernels
