// The loops over time of rnnlab.bptt.elman in C++, on the CPU: the Elman cell
// h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), φ one of tanh, relu, sigmoid, with or without
// biases, packed batch sizes.
//
// It computes exactly the buffers of the loop of ElmanFunction.forward and of the loop of
// ElmanFunction.backward in rnnlab/bptt/elman.py: out (T, B, H), the states h_t, which are all
// the backward reads (φ'(a_t) is written from h_t); and da (T, B, H), the pre-activation
// gradients, with dh0. The batched input and weight gradients are formed from da after the
// loop, in Python, for both paths. Only the loops and the per-step element-wise math moved here.
//
// Forward, per step: one product with W_hh (packed once per call, packed_gemm.h) accumulated
// into the step's rows of out, which hold W_ih x_t on entry (one product for all T steps, made
// in Python before the loop); then one pass over the rows (at::parallel_for) that adds the bias
// b = b_ih + b_hh and applies φ in place:
//   a_t = W_ih x_t + W_hh h_{t-1} + b,   h_t = φ(a_t).
// Backward, per step: one pass, dh = dh_next + dout_t (h_t is out[t] and feeds step t+1),
//   da_t = dh φ'(a_t),  φ'(a) = 1 - h² (tanh), h (1 - h) (sigmoid), [h > 0] (relu);
// then one product, dh_next = da_t W_hh (a_t = ... + W_hh h_{t-1}).
//
// The steps walk raw row pointers (a tensor view costs about a microsecond, a sizeable share
// of a step at B 1). With several threads and enough rows, each thread takes one block of rows
// through all T steps (row_blocks, cpu_math.h). Finished rows of a packed batch output zeros
// and get da = 0; h_T holds each row's state after its own last step.
//
// Nonlinearity: 0 = tanh, 1 = relu, 2 = sigmoid (rnnlab.bptt.elman_cpp.NONLINEARITIES).

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cpu_math.h"
#include "packed_gemm.h"

namespace {

// h = φ(a) of one value.
template <typename T, int PHI>
RNNLAB_INLINE T activate(T a) {
  if (PHI == 0) return tanh_(a);
  if (PHI == 1) return a < T(0) ? T(0) : a;  // relu; a NaN stays NaN, as in torch
  return sigmoid(a);
}

// φ'(a) written from h = φ(a), as _derivative_from_output in elman.py.
template <typename T, int PHI>
RNNLAB_INLINE T derivative(T h) {
  if (PHI == 0) return T(1) - h * h;
  if (PHI == 1) return h > T(0) ? T(1) : T(0);
  return h * (T(1) - h);
}

// ---- forward, rows [r0, r1) of one step: a (rows, H) holds W_ih x_t + W_hh h_{t-1} on entry,
// h_t = φ(a + b) on exit; b (H) is b_ih + b_hh, or null without biases ----
template <typename T, int PHI>
RNNLAB_INLINE void forward_rows(T* RNNLAB_R a, const T* RNNLAB_R b, int64_t H, int64_t r0,
                                int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    T* ar = a + i * H;
    if (b) {
      for (int64_t j = 0; j < H; ++j) ar[j] = activate<T, PHI>(ar[j] + b[j]);
    } else {
      for (int64_t j = 0; j < H; ++j) ar[j] = activate<T, PHI>(ar[j]);
    }
  }
}

// ---- backward, rows [r0, r1) of one step: dh = dh_next + dout (h_t is out[t] and feeds step
// t+1), da = dh φ'(a_t), φ' from h = out[t] ----
template <typename T, int PHI>
RNNLAB_INLINE void backward_rows(const T* RNNLAB_R h, const T* RNNLAB_R dout,
                                 const T* RNNLAB_R dh_next, T* RNNLAB_R da, int64_t H,
                                 int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* hr = h + i * H;
    const T* dor = dout + i * H;
    const T* dhr = dh_next + i * H;
    T* dar = da + i * H;
    for (int64_t j = 0; j < H; ++j) {
      const T dh = dhr[j] + dor[j];
      dar[j] = derivative<T, PHI>(hr[j]) * dh;  // h_t = φ(a_t)
    }
  }
}

// The compiled copies of the row functions (see RNNLAB_AVX2 in cpu_math.h).
template <typename T, int PHI>
void forward_base(T* a, const T* b, int64_t H, int64_t r0, int64_t r1) {
  forward_rows<T, PHI>(a, b, H, r0, r1);
}
template <typename T, int PHI>
RNNLAB_AVX2 void forward_avx2(T* a, const T* b, int64_t H, int64_t r0, int64_t r1) {
  forward_rows<T, PHI>(a, b, H, r0, r1);
}
template <typename T, int PHI>
RNNLAB_AVX512 void forward_avx512(T* a, const T* b, int64_t H, int64_t r0, int64_t r1) {
  forward_rows<T, PHI>(a, b, H, r0, r1);
}
template <typename T, int PHI>
void backward_base(const T* h, const T* dout, const T* dh_next, T* da, int64_t H, int64_t r0,
                   int64_t r1) {
  backward_rows<T, PHI>(h, dout, dh_next, da, H, r0, r1);
}
template <typename T, int PHI>
RNNLAB_AVX2 void backward_avx2(const T* h, const T* dout, const T* dh_next, T* da, int64_t H,
                               int64_t r0, int64_t r1) {
  backward_rows<T, PHI>(h, dout, dh_next, da, H, r0, r1);
}
template <typename T, int PHI>
RNNLAB_AVX512 void backward_avx512(const T* h, const T* dout, const T* dh_next, T* da,
                                   int64_t H, int64_t r0, int64_t r1) {
  backward_rows<T, PHI>(h, dout, dh_next, da, H, r0, r1);
}

// One step's pass over n rows, split across the threads by rows (inline inside a row block).
template <typename T, int PHI>
void forward_step(T* a, const T* b, int64_t H, int64_t n) {
  auto rows = have_avx512() ? forward_avx512<T, PHI>
              : have_avx2() ? forward_avx2<T, PHI> : forward_base<T, PHI>;
  at::parallel_for(0, n, grain_rows(H), [&](int64_t r0, int64_t r1) { rows(a, b, H, r0, r1); });
}

template <typename T, int PHI>
void backward_step(const T* h, const T* dout, const T* dh_next, T* da, int64_t H, int64_t n) {
  auto rows = have_avx512() ? backward_avx512<T, PHI>
              : have_avx2() ? backward_avx2<T, PHI> : backward_base<T, PHI>;
  at::parallel_for(0, n, grain_rows(H), [&](int64_t r0, int64_t r1) {
    rows(h, dout, dh_next, da, H, r0, r1);
  });
}

// Call FN<T, phi>(...) for the nonlinearity code PHI (0 tanh, 1 relu, 2 sigmoid).
#define RNNLAB_PICK_PHI(FN, T, PHI, ...)                       \
  do {                                                         \
    const int p_ = static_cast<int>(PHI);                      \
    if (p_ == 0) FN<T, 0>(__VA_ARGS__);                        \
    else if (p_ == 1) FN<T, 1>(__VA_ARGS__);                   \
    else FN<T, 2>(__VA_ARGS__);                                \
  } while (0)

}  // namespace

// The forward loop. xw (T, B, H): W_ih x_t of every step, contiguous; it becomes the output
// (h_t) in place and is returned as out. bias (H): b_ih + b_hh, or absent. sizes: the batch
// size of each step, or empty (B at every step); with sizes, the rows a step does not run are
// set to zero (finished rows output 0, and the backward's batched products never meet their
// W_ih x). Returns {out (T, B, H), h_T (B, H)}.
std::vector<at::Tensor> elman_forward(at::Tensor xw, const at::Tensor& h0,
                                      const at::Tensor& w_hh,
                                      const c10::optional<at::Tensor>& bias,
                                      int64_t nonlinearity, const std::vector<int64_t>& sizes) {
  TORCH_CHECK(xw.device().is_cpu(), "rnnlab's C++ Elman core runs on the CPU only");
  TORCH_CHECK(xw.is_contiguous(), "rnnlab's C++ Elman core needs a contiguous W_ih x");
  TORCH_CHECK(nonlinearity >= 0 && nonlinearity <= 2, "unknown nonlinearity code");
  const int64_t T = xw.size(0), B = xw.size(1), H = h0.size(1);
  const bool packed = !sizes.empty();
  at::Tensor h0c = h0.contiguous();
  at::Tensor h_T = h0c.clone();
  at::Tensor b = bias.has_value() && bias->defined() ? bias->contiguous() : at::Tensor();
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "rnnlab_elman_forward", [&] {
    using T_ = scalar_t;
    T_ *out0 = ptr<T_>(xw), *hT = ptr<T_>(h_T);
    const T_ *h_init = ptr<T_>(h0c), *bp = ptr<T_>(b);
    // Rows [r0, r1) of the batch through all T steps (row_blocks).
    auto run = [&](int64_t r0, int64_t r1) {
      const PackedWeight rec(w_hh, /*transposed=*/true, r1 - r0);  // h W_hh^T
      for (int64_t t = 0; t < T; ++t) {
        const int64_t rows = packed ? sizes[t] : B;  // running rows of the whole batch
        const int64_t n = std::max<int64_t>(0, std::min(rows, r1) - r0);  // ... of the block
        T_* h = out0 + (t * B + r0) * H;
        if (n < r1 - r0) {  // finished rows output zeros
          std::memset(h + n * H, 0, sizeof(T_) * (r1 - r0 - n) * H);
        }
        if (n == 0) continue;  // zero the later steps too; sizes never grow again
        const T_* h_prev = t ? h - B * H : h_init + r0 * H;
        rec.mm(h_prev, H, h, H, n, 1.0);  // a_t = W_ih x_t + W_hh h_{t-1} (+ b in the pass)
        RNNLAB_PICK_PHI(forward_step, T_, nonlinearity, h, bp, H, n);  // h_t = φ(a_t)
        copy_finished_rows(hT, out0 + t * B * H, H, sizes, t, T, B, r0, n);
      }
    };
    row_blocks(B, run);
  });
  return {xw, h_T};
}

// The backward loop: returns {da (T, B, H), dh0 (B, H)}. out is the saved output (T, B, H),
// the states h_t from which φ'(a_t) is written. Rows a step does not run get da = 0 (as
// zero_finished_rows leaves them in Python) and keep their dh_next: a row's final state is
// its state after its own last step, so dh_T joins it there.
std::vector<at::Tensor> elman_backward(const at::Tensor& dout, const at::Tensor& dh_T,
                                       const at::Tensor& out, const at::Tensor& w_hh,
                                       int64_t nonlinearity, const std::vector<int64_t>& sizes) {
  TORCH_CHECK(dout.device().is_cpu(), "rnnlab's C++ Elman core runs on the CPU only");
  TORCH_CHECK(out.is_contiguous(), "rnnlab's C++ Elman core needs the forward's output");
  TORCH_CHECK(nonlinearity >= 0 && nonlinearity <= 2, "unknown nonlinearity code");
  const int64_t T = out.size(0), B = out.size(1), H = out.size(2);
  const bool packed = !sizes.empty();
  at::Tensor da = packed ? at::zeros({T, B, H}, out.options()) : at::empty({T, B, H}, out.options());
  at::Tensor dh_next = dh_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor d_out = dout.contiguous();
  AT_DISPATCH_FLOATING_TYPES(out.scalar_type(), "rnnlab_elman_backward", [&] {
    using T_ = scalar_t;
    const T_ *out0 = ptr<T_>(out), *dout0 = ptr<T_>(d_out);
    T_ *da0 = ptr<T_>(da), *dhn0 = ptr<T_>(dh_next);
    // Rows [r0, r1) of the batch back through all T steps (row_blocks, as in the forward).
    auto run = [&](int64_t r0, int64_t r1) {
      const PackedWeight rec(w_hh, /*transposed=*/false, r1 - r0);  // d h_prev = da W_hh
      T_* dhn = dhn0 + r0 * H;
      for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t rows = packed ? sizes[t] : B;
        const int64_t n = std::min(rows, r1) - r0;  // rows of the block running
        if (n <= 0) continue;
        const int64_t row = t * B + r0;  // the block's first row in a (T, B, H) buffer
        T_* da_t = da0 + row * H;
        RNNLAB_PICK_PHI(backward_step, T_, nonlinearity, out0 + row * H, dout0 + row * H, dhn,
                        da_t, H, n);
        rec.mm(da_t, H, dhn, H, n, 0.0);  // a_t = ... + W_hh h_{t-1}
      }
    };
    row_blocks(B, run);
  });
  return {da, dh_next};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("elman_forward", &elman_forward, "rnnlab Elman forward loop (CPU)");
  m.def("elman_backward", &elman_backward, "rnnlab Elman backward loop (CPU)");
  m.def("row_blocks", &row_block_count,
        "how many blocks of rows the loops run side by side for a batch of B (cpu_math.h)");
  bind_products(m);
}
