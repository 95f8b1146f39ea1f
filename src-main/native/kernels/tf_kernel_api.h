// The part of TensorFlow's C API that LSTM Studio's kernels use, declared by the project
// itself so the kernels build without any TensorFlow header: the public libtensorflow C
// archives ship only c_api.h and its basic types, not kernels.h or ops.h, and which library
// exports the functions (libtensorflow or libtensorflow_framework) differs between builds.
//
// Written from the C API's documentation (tensorflow/c/kernels.h, ops.h, tf_status.h,
// tf_tensor.h, tf_datatype.h): opaque types, the enum values used, and one function type
// per function. Nothing is linked: load_tf_kernel_api() looks each function up by name in
// the TensorFlow libraries the process has already loaded (tfjs-node loads them first).
// test/native/kernel-api-header.test.ts compiles a check of every type below against the
// real headers where a TensorFlow install has them.
#ifndef LSTM_STUDIO_TF_KERNEL_API_H_
#define LSTM_STUDIO_TF_KERNEL_API_H_

#include <stddef.h>
#include <stdint.h>

namespace tfapi {

// Opaque handles: only ever passed back to TensorFlow, never looked into.
struct Status;
struct Tensor;
struct OpKernelConstruction;
struct OpKernelContext;
struct KernelBuilder;
struct OpDefinitionBuilder;

// TF_DataType (tf_datatype.h), the values the kernels use.
enum DataType : int { kFloat = 1, kInt32 = 3, kInt64 = 9 };

// TF_Code (tf_status.h), the values the kernels use.
enum Code : int { kOk = 0, kInvalidArgument = 3, kResourceExhausted = 8, kUnimplemented = 12 };

// TF_Bool: the C API's boolean.
typedef unsigned char Bool;

// The kernel's three callbacks (TF_NewKernelBuilder).
typedef void* CreateFn(OpKernelConstruction*);
typedef void ComputeFn(void*, OpKernelContext*);
typedef void DeleteFn(void*);

// Every function the kernels call: X(name without the TF_ prefix, function type).
#define LSTM_STUDIO_TF_API(X)                                                               \
  /* tf_status.h */                                                                         \
  X(NewStatus, Status*())                                                                   \
  X(DeleteStatus, void(Status*))                                                            \
  X(SetStatus, void(Status*, Code, const char*))                                            \
  X(GetCode, Code(const Status*))                                                           \
  X(Message, const char*(const Status*))                                                    \
  /* tf_tensor.h */                                                                         \
  X(DeleteTensor, void(Tensor*))                                                            \
  X(TensorData, void*(const Tensor*))                                                       \
  X(NumDims, int(const Tensor*))                                                            \
  X(Dim, int64_t(const Tensor*, int))                                                       \
  X(TensorElementCount, int64_t(const Tensor*))                                             \
  /* ops.h: op definitions */                                                               \
  X(NewOpDefinitionBuilder, OpDefinitionBuilder*(const char*))                              \
  X(OpDefinitionBuilderAddInput, void(OpDefinitionBuilder*, const char*))                   \
  X(OpDefinitionBuilderAddOutput, void(OpDefinitionBuilder*, const char*))                  \
  X(OpDefinitionBuilderAddAttr, void(OpDefinitionBuilder*, const char*))                    \
  X(RegisterOpDefinition, void(OpDefinitionBuilder*, Status*))                              \
  /* kernels.h: kernel registration */                                                      \
  X(NewKernelBuilder, KernelBuilder*(const char*, const char*, CreateFn*, ComputeFn*,       \
                                     DeleteFn*))                                            \
  X(KernelBuilder_TypeConstraint, void(KernelBuilder*, const char*, DataType, Status*))     \
  X(RegisterKernelBuilder, void(const char*, KernelBuilder*, Status*))                      \
  /* kernels.h: inside a kernel */                                                          \
  X(NumInputs, int(OpKernelContext*))                                                       \
  X(GetInput, void(OpKernelContext*, int, Tensor**, Status*))                               \
  X(AllocateOutput, Tensor*(OpKernelContext*, int, DataType, const int64_t*, int, size_t,   \
                            Status*))                                                       \
  X(OpKernelContext_Failure, void(OpKernelContext*, Status*))                               \
  X(OpKernelConstruction_Failure, void(OpKernelConstruction*, Status*))                     \
  X(OpKernelConstruction_GetAttrFloat, void(OpKernelConstruction*, const char*, float*,     \
                                            Status*))                                       \
  X(OpKernelConstruction_GetAttrBool, void(OpKernelConstruction*, const char*, Bool*, Status*))

#define LSTM_STUDIO_TF_API_TYPE(name, ...) using name##Fn = __VA_ARGS__;
LSTM_STUDIO_TF_API(LSTM_STUDIO_TF_API_TYPE)
#undef LSTM_STUDIO_TF_API_TYPE

// The resolved functions, one pointer each.
struct Api {
#define LSTM_STUDIO_TF_API_FIELD(name, ...) name##Fn* name = nullptr;
  LSTM_STUDIO_TF_API(LSTM_STUDIO_TF_API_FIELD)
#undef LSTM_STUDIO_TF_API_FIELD
};

// The functions, filled by load_tf_kernel_api(); every kernel calls through it.
extern Api tf;

// Resolves every function in the TensorFlow libraries already loaded in this process.
// Returns true when all were found. `source` gets the file name of the library that
// provided them (or a list of the missing names, comma-separated, on failure).
bool load_tf_kernel_api(char* source, size_t source_size);

}  // namespace tfapi

#endif  // LSTM_STUDIO_TF_KERNEL_API_H_
