// LstmStudioDropout: inverted dropout in one kernel, with exactly the masks of
//   u = StatelessRandomUniform(shape(x), seed), mask = Floor(u + keep)·scale, y = x·mask
// (src-main/engine/handles.ts, dropoutMask): the same Philox4x32-10 draws, bit for bit, and
// the same float operations. Inputs: x (any shape), seed (int32 [2]), keep and scale (float
// scalars); outputs: y and the mask, each of x's shape. The seed becomes Philox's key and
// counter as TensorFlow's stateless ops do it: the two seeds, sign-extended to 64 bits, are
// a counter scrambled by one Philox block under a fixed key; its first two words are the
// key, its last two the high half of every counter, whose low 64 bits count the blocks.
#include <stdint.h>

#include <vector>

#include "kernel_support.h"
#include "kernels.h"

namespace kernels {
namespace {

void* create(tfapi::OpKernelConstruction*) { return nullptr; }
void destroy(void*) {}

// The fixed key of the seed scramble (TensorFlow's stateless random ops).
const unsigned kScrambleKey[2] = {0x3ec8f720u, 0x02461e29u};

void compute(void*, tfapi::OpKernelContext* ctx) {
  const FlushDenormals flush;
  guarded(ctx, [&](Status& status) {
    Input in[4];
    Output out[2];
    if (!get_inputs(ctx, status, in, 4)) return;
    if (tf.TensorElementCount(in[1].tensor) != 2 || tf.TensorElementCount(in[2].tensor) != 1 ||
        tf.TensorElementCount(in[3].tensor) != 1) {
      fail(ctx, status, "expects x, a seed of two int32 and the scalars keep and scale");
      return;
    }
    const int rank = in[0].dims();
    std::vector<idx> dims(static_cast<size_t>(rank));
    for (int d = 0; d < rank; d++) dims[static_cast<size_t>(d)] = in[0].dim(d);
    for (int k = 0; k < 2; k++)
      if (!allocate(ctx, status, k, dims.data(), rank, &out[k])) return;
    const int32_t* seed = static_cast<const int32_t*>(tf.TensorData(in[1].tensor));
    const uint64_t s0 = static_cast<uint64_t>(static_cast<int64_t>(seed[0]));
    const uint64_t s1 = static_cast<uint64_t>(static_cast<int64_t>(seed[1]));
    const unsigned counter[4] = {static_cast<unsigned>(s0), static_cast<unsigned>(s0 >> 32),
                                 static_cast<unsigned>(s1), static_cast<unsigned>(s1 >> 32)};
    unsigned mix[4];
    math.philox_block(counter, kScrambleKey, mix);
    math.dropout(tf.TensorElementCount(in[0].tensor), in[0].f(), mix, mix[2], mix[3], *in[2].f(),
                 *in[3].f(), out[0].f(), out[1].f());
  });
}

}  // namespace

const KernelEntry kDropout = {create, compute, destroy};

}  // namespace kernels
