// The addon's entry: when Node loads lstm_studio_kernels.node (after tfjs-node has loaded
// TensorFlow), it finds TensorFlow's C kernel API in the loaded libraries
// (tf_kernel_api.cc), defines the six ops and registers their CPU kernels with
// TensorFlow, which then runs them by name like any other kernel:
//   LstmStudioBlockLSTM, LstmStudioBlockLSTMGrad   lstm_kernel.cc
//   LstmStudioSoftmaxLoss                           softmax_loss_kernel.cc
//   LstmStudioClipSgd, LstmStudioClipAdam           clip_sgd_kernel.cc
//   LstmStudioDropout                               dropout_kernel.cc
// It exports what happened ({registered, error, errorKind, api, isa} and the op names)
// and the size plans (planLstm, planSoftmax), so tests can drive the overflow checks with
// shapes far too large to allocate. src-main/engine/kernels/studio-kernels.ts reads it.
#include <node_api.h>

#include <iterator>
#include <string>
#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace {

using kernels::KernelEntry;
using kernels::tf;

const char* const kForward = "LstmStudioBlockLSTM";
const char* const kBackward = "LstmStudioBlockLSTMGrad";
const char* const kSoftmaxLoss = "LstmStudioSoftmaxLoss";
const char* const kClipSgd = "LstmStudioClipSgd";
const char* const kClipAdam = "LstmStudioClipAdam";
const char* const kDropout = "LstmStudioDropout";
const char* const kCommonInputs[] = {"seq_len_max: int64", "x: T",   "cs_prev: T",
                                     "h_prev: T",          "w: T",   "wci: T",
                                     "wcf: T",             "wco: T", "b: T"};
const char* const kForwardOutputs[] = {"i: T", "cs: T", "f: T", "o: T", "ci: T", "co: T", "h: T"};

struct Registration {
  bool done = false;
  bool registered = false;
  std::string error;
  // "api-missing" (the C kernel API is not in the loaded TensorFlow) or "refused"
  // (TensorFlow refused a definition), when not registered.
  std::string error_kind;
  std::string api_source;
};

Registration registration;

bool check(tfapi::Status* status, const char* what) {
  if (tf.GetCode(status) == tfapi::kOk) return true;
  registration.error = std::string(what) + ": " + tf.Message(status);
  registration.error_kind = "refused";
  return false;
}

// Defines an op from its input, output and attribute specs; false (and the error kept)
// when TensorFlow refuses it.
bool define_op(const char* name, const std::vector<const char*>& inputs,
               const std::vector<const char*>& outputs, const std::vector<const char*>& attrs,
               tfapi::Status* status) {
  tfapi::OpDefinitionBuilder* op = tf.NewOpDefinitionBuilder(name);
  for (const char* spec : inputs) tf.OpDefinitionBuilderAddInput(op, spec);
  for (const char* spec : outputs) tf.OpDefinitionBuilderAddOutput(op, spec);
  for (const char* spec : attrs) tf.OpDefinitionBuilderAddAttr(op, spec);
  tf.RegisterOpDefinition(op, status);  // takes ownership of the builder
  return check(status, name);
}

// Registers the CPU kernel of op `name`, constrained to float for a `T` attribute if given.
bool register_kernel(const char* name, const KernelEntry& entry, bool typed,
                     tfapi::Status* status) {
  tfapi::KernelBuilder* kernel =
      tf.NewKernelBuilder(name, "CPU", entry.create, entry.compute, entry.destroy);
  if (typed) {
    tf.KernelBuilder_TypeConstraint(kernel, "T", tfapi::kFloat, status);
    if (!check(status, name)) return false;
  }
  tf.RegisterKernelBuilder(name, kernel, status);  // takes ownership of the builder
  return check(status, name);
}

void register_ops() {
  if (registration.done) return;
  registration.done = true;
  char source[512];
  if (!tfapi::load_tf_kernel_api(source, sizeof source)) {
    registration.error =
        std::string("TensorFlow's C kernel API is not in the loaded TensorFlow libraries (") +
        source + " not found)";
    registration.error_kind = "api-missing";
    return;
  }
  registration.api_source = source;
  const std::vector<const char*> common(std::begin(kCommonInputs), std::end(kCommonInputs));
  const std::vector<const char*> outputs(std::begin(kForwardOutputs), std::end(kForwardOutputs));
  std::vector<const char*> grad_inputs = common;
  grad_inputs.insert(grad_inputs.end(), outputs.begin(), outputs.end());
  grad_inputs.push_back("cs_grad: T");
  grad_inputs.push_back("h_grad: T");
  tfapi::Status* status = tf.NewStatus();
  const bool ok =
      define_op(kForward, common, outputs,
                {"forget_bias: float = 1.0", "cell_clip: float = 3.0",
                 "use_peephole: bool = false", "T: {float}"},
                status) &&
      define_op(kBackward, grad_inputs,
                {"x_grad: T", "cs_prev_grad: T", "h_prev_grad: T", "w_grad: T", "wci_grad: T",
                 "wcf_grad: T", "wco_grad: T", "b_grad: T"},
                {"use_peephole: bool = false", "compute_x_grad: bool = true", "T: {float}"},
                status) &&
      register_kernel(kForward, kernels::kLstmForward, true, status) &&
      register_kernel(kBackward, kernels::kLstmBackward, true, status) &&
      define_op(kSoftmaxLoss, {"h: float", "w: float", "b: float", "targets: int32"},
                {"loss: float", "h_grad: float", "w_grad: float", "b_grad: float"}, {}, status) &&
      register_kernel(kSoftmaxLoss, kernels::kSoftmaxLoss, false, status) &&
      define_op(kClipSgd, {"params: N * float", "grads: N * float", "floor: float", "k: float"},
                {"updated: N * float"}, {"N: int >= 1"}, status) &&
      register_kernel(kClipSgd, kernels::kClipSgd, false, status) &&
      define_op(kClipAdam,
                {"params: N * float", "grads: N * float", "m: N * float", "v: N * float",
                 "floor: float", "k: float", "rate: float", "b1c: float", "b2c: float",
                 "epsilon: float"},
                {"updated: N * float", "m_next: N * float", "v_next: N * float"},
                {"N: int >= 1"}, status) &&
      register_kernel(kClipAdam, kernels::kClipAdam, false, status) &&
      define_op(kDropout, {"x: float", "seed: int32", "keep: float", "scale: float"},
                {"y: float", "mask: float"}, {}, status) &&
      register_kernel(kDropout, kernels::kDropout, false, status);
  registration.registered = ok;
  tf.DeleteStatus(status);
}

// ---- N-API ------------------------------------------------------------------------------

napi_value make_string(napi_env env, const std::string& text) {
  napi_value value;
  napi_create_string_utf8(env, text.c_str(), text.size(), &value);
  return value;
}

napi_value make_bigint(napi_env env, int64_t n) {
  napi_value value;
  napi_create_bigint_int64(env, n, &value);
  return value;
}

// Reads `count` whole-number arguments (Numbers up to 2^53, or BigInts).
bool read_sizes(napi_env env, napi_callback_info info, size_t count, int64_t* out) {
  napi_value argv[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != count)
    return false;
  for (size_t k = 0; k < count; k++) {
    napi_valuetype type;
    napi_typeof(env, argv[k], &type);
    bool lossless = true;
    if (type == napi_bigint) {
      if (napi_get_value_bigint_int64(env, argv[k], &out[k], &lossless) != napi_ok || !lossless)
        return false;
    } else {
      double value = 0;
      if (napi_get_value_double(env, argv[k], &value) != napi_ok) return false;
      if (!(value >= -9007199254740992.0 && value <= 9007199254740992.0)) return false;
      out[k] = static_cast<int64_t>(value);
      if (static_cast<double>(out[k]) != value) return false;
    }
  }
  return true;
}

napi_value plan_result(napi_env env, const char* problem, const char* const* names,
                       const int64_t* values, size_t count) {
  napi_value result, error;
  napi_create_object(env, &result);
  if (problem) {
    error = make_string(env, problem);
  } else {
    napi_get_null(env, &error);
    for (size_t k = 0; k < count; k++)
      napi_set_named_property(env, result, names[k], make_bigint(env, values[k]));
  }
  napi_set_named_property(env, result, "error", error);
  return result;
}

// planLstm(T, B, I, H) → {error} or {error: null, rows, gateCells, largest}: the sizes
// LstmStudioBlockLSTM(Grad) would use for these dimensions, checked as the kernels check them.
napi_value plan_lstm(napi_env env, napi_callback_info info) {
  int64_t d[4];
  if (!read_sizes(env, info, 4, d)) {
    napi_throw_type_error(env, nullptr, "planLstm takes four whole numbers: T, B, I, H");
    return nullptr;
  }
  kernels::LstmPlan plan{};
  const char* problem = kernels::plan_lstm(d[0], d[1], d[2], d[3], &plan);
  const char* names[] = {"rows", "gateCells", "largest"};
  const int64_t values[] = {plan.rows, plan.rows * plan.G, plan.largest};
  return plan_result(env, problem, names, problem ? nullptr : values, 3);
}

// planSoftmax(N, H, V) → {error} or {error: null, logitCells, largest}.
napi_value plan_softmax(napi_env env, napi_callback_info info) {
  int64_t d[3];
  if (!read_sizes(env, info, 3, d)) {
    napi_throw_type_error(env, nullptr, "planSoftmax takes three whole numbers: N, H, V");
    return nullptr;
  }
  kernels::SoftmaxPlan plan{};
  const char* problem = kernels::plan_softmax(d[0], d[1], d[2], &plan);
  const char* names[] = {"logitCells", "largest"};
  const int64_t values[] = {plan.N * plan.V, plan.largest};
  return plan_result(env, problem, names, problem ? nullptr : values, 2);
}

}  // namespace

NAPI_MODULE_INIT() {
  register_ops();
  napi_value ok, fn;
  napi_get_boolean(env, registration.registered, &ok);
  napi_set_named_property(env, exports, "registered", ok);
  napi_set_named_property(env, exports, "error", make_string(env, registration.error));
  napi_set_named_property(env, exports, "errorKind", make_string(env, registration.error_kind));
  napi_set_named_property(env, exports, "api", make_string(env, registration.api_source));
  napi_set_named_property(env, exports, "isa", make_string(env, kernels::math.name));
  napi_set_named_property(env, exports, "forward", make_string(env, kForward));
  napi_set_named_property(env, exports, "backward", make_string(env, kBackward));
  napi_set_named_property(env, exports, "softmaxLoss", make_string(env, kSoftmaxLoss));
  napi_set_named_property(env, exports, "clipSgd", make_string(env, kClipSgd));
  napi_set_named_property(env, exports, "clipAdam", make_string(env, kClipAdam));
  napi_set_named_property(env, exports, "dropout", make_string(env, kDropout));
  napi_create_function(env, "planLstm", NAPI_AUTO_LENGTH, plan_lstm, nullptr, &fn);
  napi_set_named_property(env, exports, "planLstm", fn);
  napi_create_function(env, "planSoftmax", NAPI_AUTO_LENGTH, plan_softmax, nullptr, &fn);
  napi_set_named_property(env, exports, "planSoftmax", fn);
  return exports;
}
