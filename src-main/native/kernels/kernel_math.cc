// lstm_math.h compiled once per instruction set, in one namespace each, and the choice
// between them. The vector code needs GCC or Clang (vector types): GCC takes the target
// through `#pragma GCC target`, Clang (macOS, clang-cl on Windows) through
// `#pragma clang attribute`. Only functions defined between the push and the pop get the
// wider instructions; library templates instantiated from elsewhere keep the baseline, so
// nothing built for AVX-512 can run on a CPU without it.
#include "kernel_math.h"

#include <stdlib.h>
#include <string.h>

#include <vector>

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define LSTM_STUDIO_X86 1
#include <cpuid.h>  // GCC's and Clang's (clang-cl's too)
#include <immintrin.h>
#endif

#if defined(LSTM_STUDIO_X86) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"))), \
                             apply_to = function)
namespace isa_avx512 {
#define VW 16
#include "lstm_math.h"
#undef VW
}  // namespace isa_avx512
#pragma clang attribute pop
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
namespace isa_avx2 {
#define VW 8
#include "lstm_math.h"
#undef VW
}  // namespace isa_avx2
#pragma clang attribute pop
#elif defined(LSTM_STUDIO_X86)
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

namespace kernels {
namespace {

#define LSTM_STUDIO_MATH(ns, label)                                                      \
  Math {                                                                                 \
    label, ns::gemm, ns::gemm_tn, ns::add_row, ns::add_to, ns::exp_all, ns::axpy_into, \
        ns::cell_forward, ns::cell_backward, ns::philox_block, ns::dropout               \
  }

#ifdef LSTM_STUDIO_X86
struct CpuFeatures {
  bool avx2_fma = false;
  bool avx512 = false;
};

void cpuid(unsigned leaf, unsigned sub, unsigned regs[4]) {
  if (!__get_cpuid_count(leaf, sub, &regs[0], &regs[1], &regs[2], &regs[3]))
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
}

// Which register states the operating system saves (XCR0). Inline assembly rather than
// _xgetbv, which Clang allows only in functions built for XSAVE.
unsigned long long saved_state() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

// What the CPU has and the operating system lets programs use: AVX2 with FMA needs the
// YMM state saved (XCR0 bits 1–2), AVX-512 also the opmask and ZMM states (bits 5–7).
CpuFeatures cpu_features() {
  CpuFeatures f;
  unsigned r1[4], r7[4], r0[4];
  cpuid(0, 0, r0);
  if (r0[0] < 7) return f;
  cpuid(1, 0, r1);
  cpuid(7, 0, r7);
  const bool osxsave = (r1[2] >> 27) & 1, avx = (r1[2] >> 28) & 1, fma = (r1[2] >> 12) & 1;
  if (!osxsave || !avx) return f;
  const unsigned long long xcr0 = saved_state();
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xE6) == 0xE6;
  const bool avx2 = (r7[1] >> 5) & 1;
  const bool avx512f = (r7[1] >> 16) & 1, avx512dq = (r7[1] >> 17) & 1,
             avx512vl = (r7[1] >> 31) & 1;
  f.avx2_fma = ymm && avx2 && fma;
  f.avx512 = f.avx2_fma && zmm && avx512f && avx512dq && avx512vl;
  return f;
}
#endif

Math choose_math() {
  const char* forced = getenv("LSTM_STUDIO_KERNEL_ISA");
  const char* cap = forced ? forced : "";
  if (strcmp(cap, "baseline") == 0) return LSTM_STUDIO_MATH(isa_base, "baseline");
#ifdef LSTM_STUDIO_X86
  const CpuFeatures cpu = cpu_features();
  if (strcmp(cap, "avx2") != 0 && cpu.avx512) return LSTM_STUDIO_MATH(isa_avx512, "avx512");
  if (cpu.avx2_fma) return LSTM_STUDIO_MATH(isa_avx2, "avx2");
#endif
  return LSTM_STUDIO_MATH(isa_base, "baseline");
}

}  // namespace

const Math math = choose_math();

#ifdef LSTM_STUDIO_X86
FlushDenormals::FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
FlushDenormals::~FlushDenormals() { _mm_setcsr(saved_); }
#else
FlushDenormals::FlushDenormals() {}
FlushDenormals::~FlushDenormals() {}
#endif

}  // namespace kernels
