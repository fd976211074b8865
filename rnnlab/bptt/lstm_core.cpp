// The loop over time of rnnlab.bptt.lstm in C++, for the plain-matmul LSTM variants on the CPU:
// the forget-gate cell (gates i, f, g, o), the 1997 cell (i, g, o) and the coupled CIFG cell
// (f, g, o, i = 1 - f), each with or without peepholes; packed batch sizes included.
//
// It computes exactly what _lstm_forward / the loop of _lstm_backward in rnnlab/bptt/lstm.py
// compute (same buffers, same layout: Z holds the gates after their nonlinearities, C the cell
// states, TC tanh(c_t)); only the loop and the per-step element-wise math moved here. Per step:
// one at::addmm_ (forward) or at::mm_out (backward) for the recurrent product into preallocated
// buffers, then ONE pass over the B x H elements of the step (at::parallel_for over rows).
// The input projection of all T steps is one addmm before the loop; the weight gradients are
// batched after the loop, in Python (rnnlab.bptt.lstm._batched_grads), for both paths.
//
// Mode: 0 = "ifgo", 1 = "igo", 2 = "fgo" (the gate layouts of rnnlab.bptt.reference).
// A CUDA version would fill the same two entry points with a kernel per step.

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace {

// Each step function is compiled twice on x86-64: for the baseline ISA (SSE2) and for AVX2 with
// FMA; the second is chosen at run time where the CPU has them (have_avx2 below).
#if defined(__x86_64__) && defined(__GNUC__)
#define RNNLAB_X86 1
#define RNNLAB_AVX2 __attribute__((target("avx2,fma")))
#else
#define RNNLAB_X86 0
#define RNNLAB_AVX2
#endif
#define RNNLAB_R __restrict__  // the buffers of one step never overlap
#define RNNLAB_INLINE inline __attribute__((always_inline))  // into each clone

// exp for float as a polynomial the compiler vectorises (Cephes' expf: |relative error| below
// 2e-7 over the clamped range); double keeps std::exp. The loops stay plain C++: g++ -O3
// vectorises them, and an AVX2/FMA copy of each is chosen at run time (RNNLAB_AVX2), so the
// cached library runs on any x86-64 CPU (no -march=native).
RNNLAB_INLINE float exp_poly(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  const float fx = x * 1.44269504088896341f;  // x / ln 2
  const int n = static_cast<int>(fx + (fx >= 0.0f ? 0.5f : -0.5f));  // round to nearest
  const float nf = static_cast<float>(n);
  const float r = (x - nf * 0.693359375f) + nf * 2.12194440e-4f;  // x - n ln 2, in two parts
  float q = 1.9875691500e-4f;
  q = q * r + 1.3981999507e-3f;
  q = q * r + 8.3334519073e-3f;
  q = q * r + 4.1665795894e-2f;
  q = q * r + 1.6666665459e-1f;
  q = q * r + 5.0000001201e-1f;
  const float e = q * r * r + r + 1.0f;  // exp(r), |r| <= ln 2 / 2
  const int bits = (n + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

RNNLAB_INLINE float exp_(float x) { return exp_poly(x); }
RNNLAB_INLINE double exp_(double x) { return std::exp(x); }

template <typename T>
RNNLAB_INLINE T sigmoid(T a) {
  return T(1) / (T(1) + exp_(-a));
}

// tanh(a) = 2σ(2a) - 1, as the Python path computes it.
template <typename T>
RNNLAB_INLINE T tanh_(T a) {
  return T(2) * sigmoid(T(2) * a) - T(1);
}


// Rows of one step handed to a thread: enough elements that the split pays for itself.
inline int64_t grain_rows(int64_t H) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(H, 1)); }

// Forward gate math of rows [r0, r1) of one step. z (rows, G*H): a on entry (input part, bias
// and recurrent product), the gates after their nonlinearities on exit; c, tc, h (rows, H).
template <typename T, int MODE, bool PEEP>
RNNLAB_INLINE void forward_rows(T* RNNLAB_R z, const T* RNNLAB_R c_prev, T* RNNLAB_R c,
                                T* RNNLAB_R tc, T* RNNLAB_R h, const T* RNNLAB_R p, int64_t H,
                                int64_t r0, int64_t r1) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;  // sigmoid gates that read c_{t-1}: (i, f) | i | f
  for (int64_t r = r0; r < r1; ++r) {
    T* zr = z + r * G * H;
    const T* cp = c_prev + r * H;
    T* cr = c + r * H;
    T* tr = tc + r * H;
    T* hr = h + r * H;
    for (int64_t j = 0; j < H; ++j) {
      T a0 = zr[j];
      if (PEEP) a0 += p[j] * cp[j];  // a_i + p_i c_prev  (or a_f for the coupled cell)
      const T s0 = sigmoid(a0);      // i = σ(·)  (f = σ(·) coupled)
      const T g = tanh_(zr[K * H + j]);  // g = tanh(a_g)
      T cn;
      if (MODE == 0) {
        T a1 = zr[H + j];
        if (PEEP) a1 += p[H + j] * cp[j];
        const T f = sigmoid(a1);  // f = σ(a_f + p_f c_prev)
        zr[H + j] = f;
        cn = f * cp[j] + s0 * g;  // c = f c_prev + i g
      } else if (MODE == 1) {
        cn = cp[j] + s0 * g;  // c = c_prev + i g
      } else {
        cn = g + s0 * (cp[j] - g);  // c = f c_prev + (1 - f) g
      }
      T ao = zr[(K + 1) * H + j];
      if (PEEP) ao += p[K * H + j] * cn;  // a_o + p_o c
      const T o = sigmoid(ao);            // o = σ(·)
      const T t = tanh_(cn);          // tanh(y), y = c
      zr[j] = s0;
      zr[K * H + j] = g;
      zr[(K + 1) * H + j] = o;
      cr[j] = cn;
      tr[j] = t;
      hr[j] = o * t;  // h = o tanh(y)
    }
  }
}

// Backward gate math of rows [r0, r1) of one step: d a into da (rows, G*H) from d h = dout +
// dh_next and d c = dc_next; dc (rows, H) becomes d c_{t-1} in place.
template <typename T, int MODE, bool PEEP>
RNNLAB_INLINE void backward_rows(const T* RNNLAB_R z, const T* RNNLAB_R c_prev,
                                 const T* RNNLAB_R tc, const T* RNNLAB_R dout,
                                 const T* RNNLAB_R dh_next, T* RNNLAB_R dc, T* RNNLAB_R da,
                                 const T* RNNLAB_R p, int64_t H, int64_t r0, int64_t r1) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;
  for (int64_t r = r0; r < r1; ++r) {
    const T* zr = z + r * G * H;
    const T* cp = c_prev + r * H;
    const T* tr = tc + r * H;
    const T* dor = dout + r * H;
    const T* dhr = dh_next + r * H;
    T* dcr = dc + r * H;
    T* dar = da + r * G * H;
    for (int64_t j = 0; j < H; ++j) {
      const T dh = dor[j] + dhr[j];  // d h_t
      const T s0 = zr[j], g = zr[K * H + j], o = zr[(K + 1) * H + j], t = tr[j];
      const T da_o = dh * t * (o - o * o);  // h = o tanh(y), o = σ(a_o + p_o c)
      T d = dcr[j] + dh * o * (T(1) - t * t);  // d c_t: from step t+1 and from h = o tanh(c)
      if (PEEP) d += da_o * p[K * H + j];  // o = σ(a_o + p_o c)
      const T dtg = T(1) - g * g;  // tanh'(a_g)
      T dprev;
      if (MODE == 0) {
        const T f = zr[H + j];
        const T da_i = d * g * (s0 - s0 * s0);  // c = f c_prev + i g, i = σ(·)
        const T da_f = d * cp[j] * (f - f * f);  // c = f c_prev + i g, f = σ(·)
        dar[j] = da_i;
        dar[H + j] = da_f;
        dar[2 * H + j] = d * s0 * dtg;  // c = f c_prev + i g, g = tanh(a_g)
        dprev = d * f;
        if (PEEP) dprev += da_i * p[j] + da_f * p[H + j];  // i, f = σ(a + p c_prev)
      } else if (MODE == 1) {
        const T da_i = d * g * (s0 - s0 * s0);  // c = c_prev + i g, i = σ(·)
        dar[j] = da_i;
        dar[H + j] = d * s0 * dtg;  // c = c_prev + i g, g = tanh(a_g)
        dprev = d;
        if (PEEP) dprev += da_i * p[j];
      } else {
        const T da_f = d * (cp[j] - g) * (s0 - s0 * s0);  // c = f c_prev + (1 - f) g
        dar[j] = da_f;
        dar[H + j] = (d - d * s0) * dtg;
        dprev = d * s0;
        if (PEEP) dprev += da_f * p[j];
      }
      dar[(K + 1) * H + j] = da_o;
      dcr[j] = dprev;  // d c_{t-1}
    }
  }
}

// The two compiled copies of the row functions (see RNNLAB_AVX2).
template <typename T, int MODE, bool PEEP>
void forward_base(T* z, const T* c_prev, T* c, T* tc, T* h, const T* p, int64_t H, int64_t r0,
                  int64_t r1) {
  forward_rows<T, MODE, PEEP>(z, c_prev, c, tc, h, p, H, r0, r1);
}

template <typename T, int MODE, bool PEEP>
RNNLAB_AVX2 void forward_avx2(T* z, const T* c_prev, T* c, T* tc, T* h, const T* p, int64_t H,
                              int64_t r0, int64_t r1) {
  forward_rows<T, MODE, PEEP>(z, c_prev, c, tc, h, p, H, r0, r1);
}

template <typename T, int MODE, bool PEEP>
void backward_base(const T* z, const T* c_prev, const T* tc, const T* dout, const T* dh_next,
                   T* dc, T* da, const T* p, int64_t H, int64_t r0, int64_t r1) {
  backward_rows<T, MODE, PEEP>(z, c_prev, tc, dout, dh_next, dc, da, p, H, r0, r1);
}

template <typename T, int MODE, bool PEEP>
RNNLAB_AVX2 void backward_avx2(const T* z, const T* c_prev, const T* tc, const T* dout,
                               const T* dh_next, T* dc, T* da, const T* p, int64_t H,
                               int64_t r0, int64_t r1) {
  backward_rows<T, MODE, PEEP>(z, c_prev, tc, dout, dh_next, dc, da, p, H, r0, r1);
}

bool have_avx2() {
#if RNNLAB_X86
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

template <typename T, int MODE, bool PEEP>
void forward_step(T* z, const T* c_prev, T* c, T* tc, T* h, const T* p, int64_t H, int64_t n) {
  auto rows = have_avx2() ? forward_avx2<T, MODE, PEEP> : forward_base<T, MODE, PEEP>;
  at::parallel_for(0, n, grain_rows(H), [&](int64_t r0, int64_t r1) {
    rows(z, c_prev, c, tc, h, p, H, r0, r1);
  });
}

template <typename T, int MODE, bool PEEP>
void backward_step(const T* z, const T* c_prev, const T* tc, const T* dout, const T* dh_next,
                   T* dc, T* da, const T* p, int64_t H, int64_t n) {
  auto rows = have_avx2() ? backward_avx2<T, MODE, PEEP> : backward_base<T, MODE, PEEP>;
  at::parallel_for(0, n, grain_rows(H), [&](int64_t r0, int64_t r1) {
    rows(z, c_prev, tc, dout, dh_next, dc, da, p, H, r0, r1);
  });
}

// Pick the template instance for (dtype, mode, peephole) and call it.
#define RNNLAB_DISPATCH(DTYPE, MODE, PEEP, FN, ...)                                   \
  AT_DISPATCH_FLOATING_TYPES(DTYPE, "rnnlab_lstm", [&] {                               \
    if (MODE == 0) {                                                                    \
      PEEP ? FN<scalar_t, 0, true>(__VA_ARGS__) : FN<scalar_t, 0, false>(__VA_ARGS__);  \
    } else if (MODE == 1) {                                                             \
      PEEP ? FN<scalar_t, 1, true>(__VA_ARGS__) : FN<scalar_t, 1, false>(__VA_ARGS__);  \
    } else {                                                                            \
      PEEP ? FN<scalar_t, 2, true>(__VA_ARGS__) : FN<scalar_t, 2, false>(__VA_ARGS__);  \
    }                                                                                   \
  })

template <typename T>
T* ptr(const at::Tensor& t) { return t.data_ptr<T>(); }

}  // namespace

// The forward loop: returns {out (T,B,H), h_T, c_T, Z (T,B,G*H), C (keep ? T : 2, B, H),
// TC (keep ? T : 1, B, H)}. sizes: the batch size of each step, or empty (B at every step);
// with sizes the buffers start as zeros (finished rows output 0 and stay finite).
std::vector<at::Tensor> lstm_forward(const at::Tensor& x, const at::Tensor& h0,
                                     const at::Tensor& c0, const at::Tensor& w_ih,
                                     const at::Tensor& w_hh, const c10::optional<at::Tensor>& bias,
                                     const c10::optional<at::Tensor>& peephole, int64_t mode,
                                     const std::vector<int64_t>& sizes, bool keep) {
  TORCH_CHECK(x.device().is_cpu(), "rnnlab's C++ LSTM core runs on the CPU only");
  const int64_t T = x.size(0), B = x.size(1), H = c0.size(1), G = mode == 0 ? 4 : 3;
  const bool packed = !sizes.empty();
  const bool peep = peephole.has_value() && peephole->defined();
  auto opts = x.options();
  auto make = [&](at::IntArrayRef shape) {
    return packed ? at::zeros(shape, opts) : at::empty(shape, opts);
  };
  // The input projections of all T steps in one matmul; Z then becomes each step's gates.
  at::Tensor x2 = x.reshape({T * B, x.size(2)});
  at::Tensor Z = bias.has_value() && bias->defined() ? at::addmm(*bias, x2, w_ih.t())
                                                     : at::mm(x2, w_ih.t());
  Z = Z.view({T, B, G * H});
  at::Tensor out = make({T, B, H});
  at::Tensor C = make({keep ? T : 2, B, H});
  at::Tensor TC = make({keep ? T : 1, B, H});
  at::Tensor h_T = h0.clone(), c_T = c0.clone();
  at::Tensor w_hh_t = w_hh.t();
  at::Tensor p = peep ? peephole->contiguous() : at::Tensor();
  for (int64_t t = 0; t < T; ++t) {
    const int64_t n = packed ? sizes[t] : B;
    if (n == 0) break;  // sizes never grow again
    const int64_t ct = keep ? t : t % 2, cprev = keep ? t - 1 : 1 - ct;
    at::Tensor z = Z[t].narrow(0, 0, n);
    at::Tensor h_prev = (t ? out[t - 1] : h0).narrow(0, 0, n);
    at::Tensor c_prev = (t ? C[cprev] : c0).narrow(0, 0, n);
    z.addmm_(h_prev, w_hh_t);  // a = W_ih x + b + W_hh h_prev
    at::Tensor c = C[ct], tc = TC[keep ? t : 0], h = out[t];
    RNNLAB_DISPATCH(x.scalar_type(), mode, peep, forward_step, ptr<scalar_t>(z),
                    ptr<scalar_t>(c_prev), ptr<scalar_t>(c), ptr<scalar_t>(tc),
                    ptr<scalar_t>(h), peep ? ptr<scalar_t>(p) : nullptr, H, n);
    const int64_t n_next = t + 1 < T ? (packed ? sizes[t + 1] : B) : 0;
    if (n_next < n) {  // rows n_next .. n-1 have just taken their last step
      h_T.narrow(0, n_next, n - n_next).copy_(h.narrow(0, n_next, n - n_next));
      c_T.narrow(0, n_next, n - n_next).copy_(c.narrow(0, n_next, n - n_next));
    }
  }
  return {out, h_T, c_T, Z, C, TC};
}

// The backward loop: returns {dA (T,B,G*H), dh0, dc0}; the batched input and weight gradients
// are formed from dA after the loop, in Python.
std::vector<at::Tensor> lstm_backward(const at::Tensor& dout, const at::Tensor& dh_T,
                                      const at::Tensor& dc_T, const at::Tensor& c0,
                                      const at::Tensor& w_hh,
                                      const c10::optional<at::Tensor>& peephole,
                                      const at::Tensor& Z, const at::Tensor& C,
                                      const at::Tensor& TC, int64_t mode,
                                      const std::vector<int64_t>& sizes) {
  TORCH_CHECK(dout.device().is_cpu(), "rnnlab's C++ LSTM core runs on the CPU only");
  const int64_t T = Z.size(0), B = Z.size(1), H = c0.size(1), G = mode == 0 ? 4 : 3;
  const bool packed = !sizes.empty();
  const bool peep = peephole.has_value() && peephole->defined();
  at::Tensor dA = packed ? at::zeros({T, B, G * H}, Z.options())
                         : at::empty({T, B, G * H}, Z.options());
  at::Tensor dh_next = dh_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor dc_next = dc_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor d_out = dout.contiguous();
  at::Tensor p = peep ? peephole->contiguous() : at::Tensor();
  for (int64_t t = T - 1; t >= 0; --t) {
    const int64_t n = packed ? sizes[t] : B;
    if (n == 0) continue;
    at::Tensor c_prev = t ? C[t - 1] : c0;
    at::Tensor da = dA[t];
    RNNLAB_DISPATCH(Z.scalar_type(), mode, peep, backward_step, ptr<scalar_t>(Z[t]),
                    ptr<scalar_t>(c_prev), ptr<scalar_t>(TC[t]), ptr<scalar_t>(d_out[t]),
                    ptr<scalar_t>(dh_next), ptr<scalar_t>(dc_next), ptr<scalar_t>(da),
                    peep ? ptr<scalar_t>(p) : nullptr, H, n);
    at::Tensor dh_rows = dh_next.narrow(0, 0, n);
    at::mm_out(dh_rows, da.narrow(0, 0, n), w_hh);  // a = ... + W_hh h_prev
  }
  return {dA, dh_next, dc_next};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &lstm_forward, "rnnlab LSTM forward loop (CPU)");
  m.def("lstm_backward", &lstm_backward, "rnnlab LSTM backward loop (CPU)");
}
