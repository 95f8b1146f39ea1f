// The helpers every kernel shares (see kernel_support.h).
#include "kernel_support.h"

#include <stdint.h>
#include <stdio.h>

#include <new>

namespace kernels {

bool fail(tfapi::OpKernelContext* ctx, Status& status, const std::string& message,
          tfapi::Code code) {
  tf.SetStatus(status.s, code, message.c_str());
  tf.OpKernelContext_Failure(ctx, status.s);
  return false;
}

bool get_inputs(tfapi::OpKernelContext* ctx, Status& status, Input* inputs, int count) {
  for (int k = 0; k < count; k++) {
    tf.GetInput(ctx, k, &inputs[k].tensor, status.s);
    if (!status.ok()) {
      tf.OpKernelContext_Failure(ctx, status.s);
      return false;
    }
  }
  return true;
}

bool allocate(tfapi::OpKernelContext* ctx, Status& status, int index, const idx* shape,
              int rank, Output* out) {
  idx count = 1, bytes = 0;
  for (int d = 0; d < rank; d++)
    if (!checked_mul(count, shape[d], &count))
      return fail(ctx, status, "an output's size overflows 64-bit arithmetic");
  if (!checked_mul(count, static_cast<idx>(sizeof(float)), &bytes))
    return fail(ctx, status, "an output's size overflows 64-bit arithmetic");
  out->tensor = tf.AllocateOutput(ctx, index, tfapi::kFloat, shape, rank,
                                  static_cast<size_t>(bytes), status.s);
  if (!status.ok()) {
    tf.OpKernelContext_Failure(ctx, status.s);
    return false;
  }
  return true;
}

bool allocate(tfapi::OpKernelContext* ctx, Status& status, int index,
              std::initializer_list<idx> shape, Output* out) {
  return allocate(ctx, status, index, shape.begin(), static_cast<int>(shape.size()), out);
}

float* scratch(tfapi::OpKernelContext* ctx, Status& status, std::vector<float>& buffer,
               idx count) {
  try {
    if (buffer.size() < static_cast<size_t>(count)) buffer.resize(static_cast<size_t>(count));
    return buffer.data();
  } catch (const std::bad_alloc&) {
    const double gib = static_cast<double>(count) * sizeof(float) / (1024.0 * 1024 * 1024);
    char line[160];
    snprintf(line, sizeof line, "out of memory: the kernel needs %.1f GiB of scratch space", gib);
    fail(ctx, status, line, tfapi::kResourceExhausted);
    return nullptr;
  }
}

bool one_hot_ids(const float* x, idx rows, idx width, std::vector<idx>& ids) {
  ids.resize(static_cast<size_t>(rows));
  for (idx r = 0; r < rows; r++) {
    const float* row = x + r * width;
    idx id = -1;
    for (idx k = 0; k < width; k++) {
      const float v = row[k];
      if (v == 0.0f) continue;
      if (v != 1.0f || id >= 0) return false;
      id = k;
    }
    if (id < 0) return false;
    ids[static_cast<size_t>(r)] = id;
  }
  return true;
}

void transpose(const float* src, idx rows, idx cols, idx ld, float* dst) {
  const idx tile = 16;
  for (idx r0 = 0; r0 < rows; r0 += tile)
    for (idx c0 = 0; c0 < cols; c0 += tile) {
      const idx r1 = r0 + tile < rows ? r0 + tile : rows;
      const idx c1 = c0 + tile < cols ? c0 + tile : cols;
      for (idx r = r0; r < r1; r++)
        for (idx c = c0; c < c1; c++) dst[c * rows + r] = src[r * ld + c];
    }
}

bool checked_mul(idx a, idx b, idx* out) {
  if (a < 0 || b < 0) return false;
  if (a != 0 && b > INT64_MAX / a) return false;
  *out = a * b;
  return true;
}

namespace {

// Products of the sizes an LSTM or softmax call uses, with the largest kept; false as soon
// as one overflows. A count must also fit as bytes, so the largest times 4 is checked last.
struct Products {
  idx largest = 0;
  bool ok = true;
  idx operator()(idx a, idx b) {
    idx p = 0;
    if (!ok || !checked_mul(a, b, &p)) {
      ok = false;
      return 0;
    }
    if (p > largest) largest = p;
    return p;
  }
  bool fits_bytes() {
    idx bytes = 0;
    return ok && checked_mul(largest, static_cast<idx>(sizeof(float)), &bytes);
  }
};

}  // namespace

const char* plan_lstm(idx T, idx B, idx I, idx H, LstmPlan* plan) {
  if (T < 0 || B < 0 || I < 0 || H < 0) return "a size is negative";
  Products mul;
  plan->T = T;
  plan->B = B;
  plan->I = I;
  plan->H = H;
  plan->G = mul(4, H);
  plan->rows = mul(T, B);
  mul(plan->rows, plan->G);  // the pre-activations of every step, and their gradients
  mul(plan->rows, I);        // x and its gradient
  mul(plan->rows, H);        // each of the seven outputs
  if (mul.ok && I > INT64_MAX - H) mul.ok = false;
  mul(I + H, plan->G);  // w and its gradient
  mul(plan->G, I);      // W_xᵀ
  mul(plan->B, plan->G);
  plan->largest = mul.largest;
  if (!mul.fits_bytes())
    return "the LSTM's sizes (time × batch × 4·units, or (inputs + units) × 4·units) overflow "
           "64-bit arithmetic";
  return nullptr;
}

const char* plan_softmax(idx N, idx H, idx V, SoftmaxPlan* plan) {
  if (N < 0 || H < 0 || V < 0) return "a size is negative";
  Products mul;
  plan->N = N;
  plan->H = H;
  plan->V = V;
  mul(mul(N, V), 2);  // the logits and their gradient, side by side
  mul(N, H);
  mul(H, V);
  plan->largest = mul.largest;
  if (!mul.fits_bytes())
    return "the output layer's sizes (rows × symbols, rows × units) overflow 64-bit arithmetic";
  return nullptr;
}

}  // namespace kernels
