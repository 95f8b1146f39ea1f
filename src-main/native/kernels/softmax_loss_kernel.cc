// LstmStudioSoftmaxLoss: the softmax output layer with its loss and gradients, in one kernel:
//   logits = h·W + b, loss_n = log Σ_v e^{logits_nv} − logits_n,target_n,
//   dlogits = softmax(logits) − onehot(target), dW = hᵀ·dlogits, db = Σ_n dlogits,
//   dh = dlogits·Wᵀ
// for h [..., H] (any leading shape, N rows in all), W [H, V], b [V], targets [N] int32.
// It replaces Reshape, MatMul, BiasAdd, SparseSoftmaxCrossEntropyWithLogits, three
// products and a Sum in a training step; the loss is of each row, not averaged.
#include <math.h>
#include <string.h>

#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace kernels {
namespace {

thread_local std::vector<float> scratch_logits, scratch_wt;

void* create(tfapi::OpKernelConstruction*) { return nullptr; }
void destroy(void*) {}

void compute(void*, tfapi::OpKernelContext* ctx) {
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    Input in[4];
    Output out[4];
    if (!get_inputs(ctx, status, in, 4)) return;
    const int rank = in[0].dims();
    if (rank < 2 || in[1].dims() != 2 || in[2].dims() != 1 || in[3].dims() != 1) {
      fail(ctx, status, "expects h [..., H], W [H, V], b [V] and targets [N]");
      return;
    }
    std::vector<idx> dims(static_cast<size_t>(rank));
    idx rows = 1;
    for (int d = 0; d < rank; d++) {
      dims[static_cast<size_t>(d)] = in[0].dim(d);
      if (d < rank - 1 && !checked_mul(rows, in[0].dim(d), &rows)) {
        fail(ctx, status, "h's leading dimensions overflow 64-bit arithmetic");
        return;
      }
    }
    SoftmaxPlan s{};
    const char* problem = plan_softmax(rows, in[0].dim(rank - 1), in[1].dim(1), &s);
    if (problem) {
      fail(ctx, status, problem);
      return;
    }
    const idx N = s.N, H = s.H, V = s.V;
    if (in[1].dim(0) != H || in[2].dim(0) != V || in[3].dim(0) != N) {
      fail(ctx, status, "h, W, b and targets do not fit together");
      return;
    }
    if (V < 1) {
      fail(ctx, status, "the vocabulary is empty");
      return;
    }
    const int32_t* targets = static_cast<const int32_t*>(tf.TensorData(in[3].tensor));
    for (idx n = 0; n < N; n++)
      if (targets[n] < 0 || targets[n] >= V) {
        fail(ctx, status, "a target is outside the vocabulary");
        return;
      }
    if (!allocate(ctx, status, 0, {N}, &out[0]) ||
        !allocate(ctx, status, 1, dims.data(), rank, &out[1]) ||
        !allocate(ctx, status, 2, {H, V}, &out[2]) || !allocate(ctx, status, 3, {V}, &out[3]))
      return;
    const float *h = in[0].f(), *w = in[1].f(), *b = in[2].f();
    float *loss = out[0].f(), *dh = out[1].f(), *dw = out[2].f(), *db = out[3].f();
    const idx cells = N * V;
    float* logits = scratch(ctx, status, scratch_logits, cells * 2);
    float* w_t = logits ? scratch(ctx, status, scratch_wt, V * H) : nullptr;
    if (!w_t) return;
    float* dlogits = logits + cells;
    math.gemm(N, V, H, h, H, w, V, logits, V, false);
    for (idx n = 0; n < N; n++) {
      float* row = logits + n * V;
      math.add_row(V, row, b);
      float top = row[0];
      for (idx v = 1; v < V; v++) top = row[v] > top ? row[v] : top;
      for (idx v = 0; v < V; v++) row[v] -= top;
    }
    math.exp_all(cells, logits, dlogits);
    for (idx n = 0; n < N; n++) {
      const float* shifted = logits + n * V;
      float* p = dlogits + n * V;
      float sum = 0.f;
      for (idx v = 0; v < V; v++) sum += p[v];
      loss[n] = logf(sum) - shifted[targets[n]];
      const float scale = 1.0f / sum;
      for (idx v = 0; v < V; v++) p[v] *= scale;
      p[targets[n]] -= 1.0f;
    }
    memset(db, 0, static_cast<size_t>(V) * sizeof(float));
    for (idx n = 0; n < N; n++) math.add_row(V, db, dlogits + n * V);
    math.gemm_tn(H, V, N, h, H, dlogits, V, dw, V, false);
    transpose(w, H, V, V, w_t);  // [V, H]
    math.gemm(N, H, V, dlogits, V, w_t, H, dh, H, false);
  });
}

}  // namespace

const KernelEntry kSoftmaxLoss = {create, compute, destroy};

}  // namespace kernels
