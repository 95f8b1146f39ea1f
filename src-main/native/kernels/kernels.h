// The kernels' entry points, as registration.cc hands them to TensorFlow.
#ifndef LSTM_STUDIO_KERNELS_H_
#define LSTM_STUDIO_KERNELS_H_

#include "tf_kernel_api.h"

namespace kernels {

// The three callbacks of one kernel (TF_NewKernelBuilder).
struct KernelEntry {
  tfapi::CreateFn* create;
  tfapi::ComputeFn* compute;
  tfapi::DeleteFn* destroy;
};

extern const KernelEntry kLstmForward;   // lstm_kernel.cc
extern const KernelEntry kLstmBackward;  // lstm_kernel.cc
extern const KernelEntry kSoftmaxLoss;   // softmax_loss_kernel.cc
extern const KernelEntry kClipSgd;       // clip_sgd_kernel.cc
extern const KernelEntry kClipAdam;      // clip_sgd_kernel.cc
extern const KernelEntry kDropout;       // dropout_kernel.cc

}  // namespace kernels

#endif  // LSTM_STUDIO_KERNELS_H_
