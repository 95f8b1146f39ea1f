// The arithmetic the kernels call, through one table chosen when the library loads: the
// code of lstm_math.h compiled for AVX-512, for AVX2 + FMA, or for the baseline vector unit
// (kernel_math.cc). Sizes, counts and leading dimensions are 64-bit everywhere.
#ifndef LSTM_STUDIO_KERNEL_MATH_H_
#define LSTM_STUDIO_KERNEL_MATH_H_

#include <stdint.h>

namespace kernels {

typedef int64_t idx;

// C[M,N] (+)= op(A)·B; see lstm_math.h.
using Gemm = void (*)(idx, idx, idx, const float*, idx, const float*, idx, float*, idx, bool);

struct Math {
  const char* name;
  Gemm gemm;
  Gemm gemm_tn;
  void (*add_row)(idx, float*, const float*);
  void (*add_to)(idx, float*, const float*, const float*);
  void (*exp_all)(idx, const float*, float*);
  void (*axpy_into)(idx, float, const float*, const float*, float*);
  void (*cell_forward)(idx, idx, const float*, const float*, float, float, float*, float*, float*,
                       float*, float*, float*, float*);
  void (*cell_backward)(idx, idx, const float*, const float*, const float*, const float*,
                        const float*, const float*, const float*, const float*, const float*,
                        float*, float*);
  void (*philox_block)(const unsigned*, const unsigned*, unsigned*);
  void (*dropout)(idx, const float*, const unsigned*, unsigned, unsigned, float, float, float*,
                  float*);
};

// The widest instruction set the CPU has, or a narrower one named by
// LSTM_STUDIO_KERNEL_ISA (avx2 or baseline; for tests of the other code paths).
extern const Math math;

// Denormal inputs and results make x86 arithmetic 10–100× slower (a sigmoid of a large
// negative input is one); like TensorFlow's own executors, the kernels flush them to zero
// while they run, and restore the caller's setting after. (x86 only; elsewhere a no-op.)
class FlushDenormals {
 public:
  FlushDenormals();
  ~FlushDenormals();
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned int saved_ = 0;
};

}  // namespace kernels

#endif  // LSTM_STUDIO_KERNEL_MATH_H_
