// What every kernel shares: owned input and output tensors, one-line failures, output
// allocation, per-thread scratch memory, the one-hot test and a tiled transpose, and the
// size plans that refuse any shape whose sizes would overflow 64-bit arithmetic.
#ifndef LSTM_STUDIO_KERNEL_SUPPORT_H_
#define LSTM_STUDIO_KERNEL_SUPPORT_H_

#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "kernel_math.h"
#include "tf_kernel_api.h"

namespace kernels {

using tfapi::tf;

// An input tensor, released when it goes out of scope.
struct Input {
  tfapi::Tensor* tensor = nullptr;
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input() {
    if (tensor) tf.DeleteTensor(tensor);
  }
  const float* f() const { return static_cast<const float*>(tf.TensorData(tensor)); }
  idx dim(int d) const { return tf.Dim(tensor, d); }
  int dims() const { return tf.NumDims(tensor); }
};

// An output tensor, released (TensorFlow keeps its own reference) when it goes out of scope.
struct Output {
  tfapi::Tensor* tensor = nullptr;
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (tensor) tf.DeleteTensor(tensor);
  }
  float* f() const { return static_cast<float*>(tf.TensorData(tensor)); }
};

// One call's status, deleted at the end of the call.
struct Status {
  tfapi::Status* s = tf.NewStatus();
  Status() = default;
  Status(const Status&) = delete;
  Status& operator=(const Status&) = delete;
  ~Status() { tf.DeleteStatus(s); }
  bool ok() const { return tf.GetCode(s) == tfapi::kOk; }
};

// Fails the kernel call with `message` (one line); returns false.
bool fail(tfapi::OpKernelContext* ctx, Status& status, const std::string& message,
          tfapi::Code code = tfapi::kInvalidArgument);

// Runs a kernel's body with a fresh status. An exception (memory for scratch space) fails
// the call in one line instead of crossing into TensorFlow's C code.
template <class Body>
void guarded(tfapi::OpKernelContext* ctx, Body body) {
  Status status;
  try {
    body(status);
  } catch (const std::bad_alloc&) {
    fail(ctx, status, "out of memory in an LSTM Studio kernel", tfapi::kResourceExhausted);
  } catch (...) {
    fail(ctx, status, "an LSTM Studio kernel failed");
  }
}

// Reads inputs 0 … count − 1; fails the call and returns false if one is missing.
bool get_inputs(tfapi::OpKernelContext* ctx, Status& status, Input* inputs, int count);

// Allocates float output `index` of `shape`.
bool allocate(tfapi::OpKernelContext* ctx, Status& status, int index, const idx* shape,
              int rank, Output* out);
bool allocate(tfapi::OpKernelContext* ctx, Status& status, int index,
              std::initializer_list<idx> shape, Output* out);

// Per-thread scratch of at least `count` floats, reused across calls on the same thread;
// null (and the call failed, in one line) when the memory cannot be had.
float* scratch(tfapi::OpKernelContext* ctx, Status& status, std::vector<float>& buffer,
               idx count);

// The symbol of each row if every row of x [rows, width] is exactly one-hot; else false.
bool one_hot_ids(const float* x, idx rows, idx width, std::vector<idx>& ids);

// dst [cols, rows] = src [rows, cols]ᵀ (src's rows `ld` floats apart), in 16 × 16 tiles.
void transpose(const float* src, idx rows, idx cols, idx ld, float* dst);

// a · b into *out, or false when it would overflow (or a or b is negative).
bool checked_mul(idx a, idx b, idx* out);

// The sizes of one LSTM call, all checked: T time steps, B batch rows, I inputs, H units.
struct LstmPlan {
  idx T, B, I, H, G;  // G = 4H, the gate columns
  idx rows;           // T·B
  idx largest;        // the largest element count any buffer or tensor of the call has
};

// Plans an LSTM call; null when the sizes fit, else the one-line reason they do not.
const char* plan_lstm(idx T, idx B, idx I, idx H, LstmPlan* plan);

// The sizes of one softmax-loss call: N rows of H units, V symbols.
struct SoftmaxPlan {
  idx N, H, V;
  idx largest;
};

const char* plan_softmax(idx N, idx H, idx V, SoftmaxPlan* plan);

}  // namespace kernels

#endif  // LSTM_STUDIO_KERNEL_SUPPORT_H_
