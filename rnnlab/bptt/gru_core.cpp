// The loops over time of rnnlab.bptt.gru in C++, on the CPU: gate order r, z, n, both
// reset_after=True (torch/cuDNN: n = tanh(x_n + r (W_hn h + b_hn))) and reset_after=False
// (Cho et al.: n = tanh(x_n + W_hn (r h) + b_hn)), with or without biases, packed batch sizes.
//
// It computes exactly the buffers of GRUFunction.forward / the loop of GRUFunction.backward in
// rnnlab/bptt/gru.py: out (T, B, H); gates (T, B, 4H) laid out [r, z, hn, n] (reset_after) or
// [r, z, rh, n] (reset before); da (T, B, 3H) = [da_r, da_z, da_n] and, with reset_after,
// dhn (T, B, H) = da_n r. The batched input and weight gradients are formed from them after the
// loop, in Python, for both paths. Only the loops and the per-step element-wise math moved here.
//
// Per step, reset_after: one product into the gates buffer ([W_hr h, W_hz h, W_hn h]) and one
// element-wise pass that adds x's part and the biases; backward: one pass, then one product
// (dh_prev += [da_r, da_z, dhn] W_hh). Reset before needs two of each: W_hn multiplies r h, so
// r must exist before the second product (forward), and da_r needs da_n W_hn (backward). The
// products use W_hh packed once per call (packed_gemm.h).
//
// The steps walk raw row pointers (a tensor view costs about a microsecond, a sizeable share of
// a step at B 1). With several threads and enough rows, each thread takes one block of the
// batch's rows through all T steps, with its own products and passes (row_blocks, cpu_math.h);
// otherwise each step's passes are split across the threads by rows. The passes are compiled
// for the baseline ISA, AVX2/FMA and AVX-512, the widest the CPU has chosen at run time.

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "cpu_math.h"
#include "packed_gemm.h"

namespace {

// The biases are added in the passes rather than by the products (addmm would first copy
// them into every row): bx (3H) goes with x's part W_ih x, bh (3H) with W_hh h.

// ---- forward, reset_after: g (rows, 4H) holds [W_hr h, W_hz h, W_hn h] on entry ----
// r = σ(x_r + bx_r + · + bh_r), z likewise, hn = W_hn h + bh_n kept,
// n = tanh(x_n + bx_n + r hn), h = (1 - z) n + z h_prev.
template <typename T>
RNNLAB_INLINE void fwd_after_rows(T* RNNLAB_R g, const T* RNNLAB_R xw, const T* RNNLAB_R bx,
                                  const T* RNNLAB_R bh, const T* RNNLAB_R hp, T* RNNLAB_R h,
                                  int64_t H, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    T* gr = g + i * 4 * H;
    const T* xr = xw + i * 3 * H;
    const T* hpr = hp + i * H;
    T* hr = h + i * H;
    for (int64_t j = 0; j < H; ++j) {
      const T r = sigmoid(xr[j] + bx[j] + gr[j] + bh[j]);
      const T z = sigmoid(xr[H + j] + bx[H + j] + gr[H + j] + bh[H + j]);
      const T hn = gr[2 * H + j] + bh[2 * H + j];
      const T n = tanh_(xr[2 * H + j] + bx[2 * H + j] + r * hn);
      gr[j] = r;
      gr[H + j] = z;
      gr[2 * H + j] = hn;
      gr[3 * H + j] = n;
      hr[j] = n + z * (hpr[j] - n);  // lerp(n, h_prev, z)
    }
  }
}

// ---- forward, reset before, pass 1: g[:, :2H] holds W_h[rz] h_prev on entry; bx holds all of
// b_ih + b_hh here, which sits outside r ----
// r, z = σ(x_rz + bx_rz + ·); rh = r h_prev (the input of the second product).
template <typename T>
RNNLAB_INLINE void fwd_before1_rows(T* RNNLAB_R g, const T* RNNLAB_R xw, const T* RNNLAB_R bx,
                                    const T* RNNLAB_R hp, int64_t H, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    T* gr = g + i * 4 * H;
    const T* xr = xw + i * 3 * H;
    const T* hpr = hp + i * H;
    for (int64_t j = 0; j < H; ++j) {
      const T r = sigmoid(xr[j] + bx[j] + gr[j]);
      gr[j] = r;
      gr[H + j] = sigmoid(xr[H + j] + bx[H + j] + gr[H + j]);
      gr[2 * H + j] = r * hpr[j];
    }
  }
}

// ---- forward, reset before, pass 2: g[:, 3H:] holds W_hn rh on entry;
// n = tanh(x_n + bx_n + ·) ----
template <typename T>
RNNLAB_INLINE void fwd_before2_rows(T* RNNLAB_R g, const T* RNNLAB_R xw, const T* RNNLAB_R bx,
                                    const T* RNNLAB_R hp, T* RNNLAB_R h, int64_t H, int64_t r0,
                                    int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    T* gr = g + i * 4 * H;
    const T* xr = xw + i * 3 * H;
    const T* hpr = hp + i * H;
    T* hr = h + i * H;
    for (int64_t j = 0; j < H; ++j) {
      const T n = tanh_(xr[2 * H + j] + bx[2 * H + j] + gr[3 * H + j]);
      const T z = gr[H + j];
      gr[3 * H + j] = n;
      hr[j] = n + z * (hpr[j] - n);
    }
  }
}

// ---- backward, reset_after: dh = dh_next + dout; writes da (3H), dhn (H), the step's
// product input m = [da_r, da_z, dhn] (3H), and dh_next = dh z (the product adds the rest) ----
//   da_n = dh (1 - z)(1 - n²), da_z = dh (h_prev - n) z (1 - z), da_r = da_n hn r (1 - r),
//   dhn = da_n r.
template <typename T>
RNNLAB_INLINE void bwd_after_rows(const T* RNNLAB_R g, const T* RNNLAB_R hp,
                                  const T* RNNLAB_R dout, T* RNNLAB_R dh_next, T* RNNLAB_R da,
                                  T* RNNLAB_R dhn, T* RNNLAB_R m, int64_t H, int64_t r0,
                                  int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* gr = g + i * 4 * H;
    const T* hpr = hp + i * H;
    const T* dor = dout + i * H;
    T* dhr = dh_next + i * H;
    T* dar = da + i * 3 * H;
    T* dnr = dhn + i * H;
    T* mr = m + i * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      const T r = gr[j], z = gr[H + j], hn = gr[2 * H + j], n = gr[3 * H + j];
      const T dh = dhr[j] + dor[j];  // h_t is out[t] and feeds step t+1
      const T da_n = dh * (T(1) - z) * (T(1) - n * n);  // h = (1-z) n + z h_prev, n = tanh
      const T da_z = dh * (hpr[j] - n) * (z - z * z);    // the same line, z = σ(a_z)
      const T da_r = da_n * hn * (r - r * r);             // a_n = x_n + r hn, r = σ(a_r)
      const T dhn_ = da_n * r;                            // the same line, via hn
      dar[j] = da_r;
      dar[H + j] = da_z;
      dar[2 * H + j] = da_n;
      dnr[j] = dhn_;
      mr[j] = da_r;
      mr[H + j] = da_z;
      mr[2 * H + j] = dhn_;
      dhr[j] = dh * z;  // through z h_prev
    }
  }
}

// ---- backward, reset before, pass 1: da_z, da_n into da, dh_next = dh z ----
template <typename T>
RNNLAB_INLINE void bwd_before1_rows(const T* RNNLAB_R g, const T* RNNLAB_R hp,
                                    const T* RNNLAB_R dout, T* RNNLAB_R dh_next, T* RNNLAB_R da,
                                    int64_t H, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* gr = g + i * 4 * H;
    const T* hpr = hp + i * H;
    const T* dor = dout + i * H;
    T* dhr = dh_next + i * H;
    T* dar = da + i * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      const T z = gr[H + j], n = gr[3 * H + j];
      const T dh = dhr[j] + dor[j];
      dar[H + j] = dh * (hpr[j] - n) * (z - z * z);       // h = (1-z) n + z h_prev, z = σ
      dar[2 * H + j] = dh * (T(1) - z) * (T(1) - n * n);  // the same line, n = tanh(a_n)
      dhr[j] = dh * z;
    }
  }
}

// ---- backward, reset before, pass 2: drh = da_n W_hn on entry;
// da_r = drh h_prev r (1 - r) (rh = r h_prev), dh_next += drh r ----
template <typename T>
RNNLAB_INLINE void bwd_before2_rows(const T* RNNLAB_R g, const T* RNNLAB_R hp,
                                    const T* RNNLAB_R drh, T* RNNLAB_R dh_next, T* RNNLAB_R da,
                                    int64_t H, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* gr = g + i * 4 * H;
    const T* hpr = hp + i * H;
    const T* drr = drh + i * H;
    T* dhr = dh_next + i * H;
    T* dar = da + i * 3 * H;
    for (int64_t j = 0; j < H; ++j) {
      const T r = gr[j];
      dar[j] = drr[j] * hpr[j] * (r - r * r);
      dhr[j] += drr[j] * r;
    }
  }
}

// The compiled copies of a row function FN (see RNNLAB_AVX2 and RNNLAB_AVX512, cpu_math.h), and
// the step that runs the widest the CPU has over n rows, split across the threads by rows
// (inline, on one thread, inside a row block). ARGS are the row function's arguments before
// (H, r0, r1).
#define RNNLAB_STEP(FN, PARAMS, ARGS)                                                     \
  template <typename T>                                                                  \
  void FN##_base PARAMS { FN##_rows<T> ARGS; }                                           \
  template <typename T>                                                                  \
  RNNLAB_AVX2 void FN##_avx2 PARAMS { FN##_rows<T> ARGS; }                               \
  template <typename T>                                                                  \
  RNNLAB_AVX512 void FN##_avx512 PARAMS { FN##_rows<T> ARGS; }                           \
  template <typename T, typename... A>                                                   \
  void FN(int64_t H, int64_t n, A... a) {                                                \
    auto rows = have_avx512() ? FN##_avx512<T> : have_avx2() ? FN##_avx2<T> : FN##_base<T>; \
    at::parallel_for(0, n, grain_rows(H), [&](int64_t r0, int64_t r1) {                  \
      rows(a..., H, r0, r1);                                                             \
    });                                                                                  \
  }

RNNLAB_STEP(fwd_after, (T* g, const T* xw, const T* bx, const T* bh, const T* hp, T* h, int64_t H,
                        int64_t r0, int64_t r1),
            (g, xw, bx, bh, hp, h, H, r0, r1))
RNNLAB_STEP(fwd_before1, (T* g, const T* xw, const T* bx, const T* hp, int64_t H, int64_t r0,
                          int64_t r1),
            (g, xw, bx, hp, H, r0, r1))
RNNLAB_STEP(fwd_before2, (T* g, const T* xw, const T* bx, const T* hp, T* h, int64_t H,
                          int64_t r0, int64_t r1),
            (g, xw, bx, hp, h, H, r0, r1))
RNNLAB_STEP(bwd_after, (const T* g, const T* hp, const T* dout, T* dh_next, T* da, T* dhn, T* m,
                        int64_t H, int64_t r0, int64_t r1),
            (g, hp, dout, dh_next, da, dhn, m, H, r0, r1))
RNNLAB_STEP(bwd_before1, (const T* g, const T* hp, const T* dout, T* dh_next, T* da, int64_t H,
                          int64_t r0, int64_t r1),
            (g, hp, dout, dh_next, da, H, r0, r1))
RNNLAB_STEP(bwd_before2, (const T* g, const T* hp, const T* drh, T* dh_next, T* da, int64_t H,
                          int64_t r0, int64_t r1),
            (g, hp, drh, dh_next, da, H, r0, r1))

// W_hh for the products of one loop, packed once for all its steps (packed_gemm.h) for a block
// of m rows: all of it with reset_after; W_h[rz] and W_hn apart with reset before (W_hn
// multiplies r h).
struct GruWeights {
  std::optional<PackedWeight> all, rz, n;
  GruWeights(const at::Tensor& w_hh, bool reset_after, bool transposed, int64_t m) {
    const int64_t H = w_hh.size(1);
    if (reset_after) {
      all.emplace(w_hh, transposed, m);
    } else {
      rz.emplace(w_hh.narrow(0, 0, 2 * H), transposed, m);
      n.emplace(w_hh.narrow(0, 2 * H, H), transposed, m);
    }
  }
};

}  // namespace

// The forward loop: returns {out (T,B,H), h_T (B,H), gates (keep ? T : 1, B, 4H)}. xw (T,B,3H)
// is W_ih x, from the caller; bias_x (3H) is b_ih (reset before: b_ih + b_hh, all of which sits
// outside r), bias_hh (3H) b_hh with reset_after (ignored otherwise); either may be absent.
// sizes: the batch size of each step, or empty (B at every step); with sizes, out
// and gates start as zeros (finished rows output 0, and backward's batched products never meet
// uninitialised memory). keep = false (no backward will run): one gate slot, reused each step,
// so the loop touches B·4H numbers of scratch rather than T·B·4H (each row block its own rows
// of it).
std::vector<at::Tensor> gru_forward(const at::Tensor& xw, const at::Tensor& h0,
                                    const at::Tensor& w_hh,
                                    const c10::optional<at::Tensor>& bias_x,
                                    const c10::optional<at::Tensor>& bias_hh, bool reset_after,
                                    const std::vector<int64_t>& sizes, bool keep) {
  TORCH_CHECK(xw.device().is_cpu(), "rnnlab's C++ GRU core runs on the CPU only");
  const int64_t T = xw.size(0), B = xw.size(1), H = h0.size(1);
  const bool packed = !sizes.empty();
  auto opts = xw.options();
  auto make = [&](at::IntArrayRef shape) {
    return packed ? at::zeros(shape, opts) : at::empty(shape, opts);
  };
  at::Tensor x3 = xw.contiguous();
  at::Tensor out = make({T, B, H});
  at::Tensor gates = make({keep ? T : 1, B, 4 * H});
  at::Tensor h_T = h0.clone(at::MemoryFormat::Contiguous);
  at::Tensor h0c = h0.contiguous();
  // zeros for an absent bias: one loop body for all cases
  auto bias_or_zeros = [&](const c10::optional<at::Tensor>& b, bool used) {
    return used && b.has_value() && b->defined() ? b->contiguous() : at::zeros({3 * H}, opts);
  };
  at::Tensor b_x = bias_or_zeros(bias_x, true), b_hh = bias_or_zeros(bias_hh, reset_after);
  AT_DISPATCH_FLOATING_TYPES(xw.scalar_type(), "rnnlab_gru_forward", [&] {
    using T_ = scalar_t;
    // each step's rows by pointer: step t of a (T, B, N) buffer starts at t * B * N
    const T_ *x0 = ptr<T_>(x3), *h_init = ptr<T_>(h0c);
    const T_ *bx = ptr<T_>(b_x), *bh = ptr<T_>(b_hh);
    T_ *out0 = ptr<T_>(out), *g0 = ptr<T_>(gates), *hT = ptr<T_>(h_T);
    // Rows [r0, r1) of the batch through all T steps (see row_blocks).
    auto run = [&](int64_t r0, int64_t r1) {
      const GruWeights w(w_hh, reset_after, /*transposed=*/true, r1 - r0);  // h W_hh^T
      for (int64_t t = 0; t < T; ++t) {
        const int64_t n = std::min(packed ? sizes[t] : B, r1) - r0;  // rows of the block running
        if (n <= 0) break;  // sizes never grow again
        T_* g = g0 + ((keep ? t : 0) * B + r0) * 4 * H;
        const T_* x_t = x0 + (t * B + r0) * 3 * H;
        T_* h = out0 + (t * B + r0) * H;
        const T_* hp = t ? h - B * H : h_init + r0 * H;
        // Plain products into g, the rest added in the passes: a product with a bias or x term
        // would first copy it into g, one more strided pass over the step's rows.
        if (reset_after) {
          w.all->mm(hp, H, g, 4 * H, n, 0.0);  // [W_hr h, W_hz h, W_hn h]
          fwd_after<T_>(H, n, g, x_t, bx, bh, hp, h);
        } else {
          w.rz->mm(hp, H, g, 4 * H, n, 0.0);  // W_h[rz] h_prev
          fwd_before1<T_>(H, n, g, x_t, bx, hp);
          w.n->mm(g + 2 * H, 4 * H, g + 3 * H, 4 * H, n, 0.0);  // W_hn rh
          fwd_before2<T_>(H, n, g, x_t, bx, hp, h);
        }
        copy_finished_rows(hT, out0 + t * B * H, H, sizes, t, T, B, r0, n);
      }
    };
    row_blocks(B, run);
  });
  return {out, h_T, gates};
}

// The backward loop: returns {da (T,B,3H), dhn (T,B,H; undefined with reset before), dh0}.
// out is the saved output (T,B,H): h_{t-1} = out[t-1] (h0 at t = 0).
std::vector<at::Tensor> gru_backward(const at::Tensor& dout, const at::Tensor& dh_T,
                                     const at::Tensor& h0, const at::Tensor& out,
                                     const at::Tensor& gates, const at::Tensor& w_hh,
                                     bool reset_after, const std::vector<int64_t>& sizes) {
  TORCH_CHECK(dout.device().is_cpu(), "rnnlab's C++ GRU core runs on the CPU only");
  const int64_t T = gates.size(0), B = gates.size(1), H = h0.size(1);
  const bool packed = !sizes.empty();
  auto opts = gates.options();
  // finished rows are never written: zeros, as zero_finished_rows leaves them in Python
  auto make = [&](at::IntArrayRef shape) {
    return packed ? at::zeros(shape, opts) : at::empty(shape, opts);
  };
  at::Tensor da = make({T, B, 3 * H});
  at::Tensor dhn = reset_after ? make({T, B, H}) : at::Tensor();
  const int64_t S = reset_after ? 3 * H : H;  // the scratch row: m, or drh
  at::Tensor scratch = at::empty({B, S}, opts);  // each row block its own rows of it
  at::Tensor dh_next = dh_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor d_out = dout.contiguous(), h0c = h0.contiguous(), o = out.contiguous();
  at::Tensor gc = gates.contiguous();
  AT_DISPATCH_FLOATING_TYPES(gates.scalar_type(), "rnnlab_gru_backward", [&] {
    using T_ = scalar_t;
    // each step's rows by pointer, as in the forward
    const T_ *g0 = ptr<T_>(gc), *out0 = ptr<T_>(o), *dout0 = ptr<T_>(d_out);
    const T_* h_init = ptr<T_>(h0c);
    T_ *da0 = ptr<T_>(da), *dhn0 = ptr<T_>(dhn), *dh0 = ptr<T_>(dh_next);
    T_* scratch0 = ptr<T_>(scratch);
    // Rows [r0, r1) of the batch back through all T steps (row_blocks, as in the forward).
    auto run = [&](int64_t r0, int64_t r1) {
      const GruWeights w(w_hh, reset_after, /*transposed=*/false, r1 - r0);  // d h_prev = · W_hh
      T_ *dh = dh0 + r0 * H, *s = scratch0 + r0 * S;
      for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t n = std::min(packed ? sizes[t] : B, r1) - r0;  // rows of the block running
        if (n <= 0) continue;
        const int64_t row = t * B + r0;  // the block's first row in a (T, B, ·) buffer
        const T_* g = g0 + row * 4 * H;
        const T_* hp = t ? out0 + (row - B) * H : h_init + r0 * H;
        const T_* dout_t = dout0 + row * H;
        T_* da_t = da0 + row * 3 * H;
        if (reset_after) {
          bwd_after<T_>(H, n, g, hp, dout_t, dh, da_t, dhn0 + row * H, s);
          w.all->mm(s, 3 * H, dh, H, n, 1.0);  // [a_r, a_z, hn] = ... + W_hh h_prev
        } else {
          bwd_before1<T_>(H, n, g, hp, dout_t, dh, da_t);
          w.n->mm(da_t + 2 * H, 3 * H, s, H, n, 0.0);  // a_n = ... + W_hn rh
          bwd_before2<T_>(H, n, g, hp, s, dh, da_t);
          w.rz->mm(da_t, 3 * H, dh, H, n, 1.0);  // a_[rz] = ... + W_h[rz] h_prev
        }
      }
    };
    row_blocks(B, run);
  });
  return {da, dhn, dh_next};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("gru_forward", &gru_forward, "rnnlab GRU forward loop (CPU)");
  m.def("gru_backward", &gru_backward, "rnnlab GRU backward loop (CPU)");
  m.def("row_blocks", &row_block_count,
        "how many blocks of rows the loops run side by side for a batch of B (cpu_math.h)");
  bind_products(m);
}
