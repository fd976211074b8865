// The loop over time of rnnlab.bptt.lstm in C++, for the LSTM variants on the CPU: the
// forget-gate cell (gates i, f, g, o), the 1997 cell (i, g, o) and the coupled CIFG cell
// (f, g, o, i = 1 - f), each with or without peepholes, layer norm (of W_hh h_{t-1} and of c_t)
// and a projection h_t = W_hr m_t; packed batch sizes included.
//
// It computes exactly what _lstm_forward / the loop of _lstm_backward in rnnlab/bptt/lstm.py
// compute (same buffers, same layout: Z holds the gates after their nonlinearities, C the cell
// states, TC tanh(y_t); with layer norm AhHat / Rh the normalised W_hh h_{t-1} and its 1/std,
// CHat / Rc those of c_t); only the loop and the per-step element-wise math moved here (and,
// with LN(c) and no projection, the forward keeps no TC: the backward forms it from CHat). Per
// step: one product with W_hh, packed once per call (packed_gemm.h), accumulated into Z
// (forward; into AhHat with layer norm) or into d h_prev (backward), one more for the
// projection, and one fused pass over the rows of the step (at::parallel_for over rows) that
// also forms the row-wise layer-norm statistics while the row is in cache. The input part of
// a (W_ih x and its layer norm, for all T steps at once) is formed in Python before the loop
// (rnnlab.bptt.lstm._input_part), with the biases where layer norm of W_ih x takes them as
// its shift; without it the pass adds them to each row. The weight gradients are batched
// after the loop, in Python (rnnlab.bptt.lstm._batched_grads), the same code for both paths.
//
// With several threads and enough rows, each thread takes one block of the batch's rows
// through all T steps, with its own products and passes (row_blocks, cpu_math.h); otherwise
// each step's pass is split across the threads.
//
// Mode: 0 = "ifgo", 1 = "igo", 2 = "fgo" (the gate layouts of rnnlab.bptt.reference).
// A CUDA version would fill the same two entry points with a kernel per step.

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

// Sums with 32 partial accumulators: without -ffast-math the compiler keeps a single running
// sum in order (one add per element, latency-bound); independent ones it vectorises. 32 floats
// are four AVX2 registers, four chains of adds in flight: with 8 (one register) the sums of the
// layer-norm statistics waited on each add's latency and took a third of the LN step's pass.
constexpr int LANES = 32;

// acc[0] + ... + acc[LANES-1] as a tree of halvings, which vectorises (a running sum would not).
template <typename T>
RNNLAB_INLINE T reduce_lanes(T* RNNLAB_R acc) {
  for (int w = LANES / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

template <typename T>
RNNLAB_INLINE T sum_row(const T* RNNLAB_R a, int64_t N) {
  T acc[LANES] = {};
  int64_t j = 0;
  for (; j + LANES <= N; j += LANES)
    for (int l = 0; l < LANES; ++l) acc[l] += a[j + l];
  T s = 0;
  for (; j < N; ++j) s += a[j];
  return s + reduce_lanes(acc);
}

// Σ (a_j - mean)², the second pass of the two-pass variance (as torch's var_mean is exact to
// rounding, a one-pass E[a²] - mean² would lose digits where |mean| >> std).
template <typename T>
RNNLAB_INLINE T centred_squares(const T* RNNLAB_R a, T mean, int64_t N) {
  T acc[LANES] = {};
  int64_t j = 0;
  for (; j + LANES <= N; j += LANES)
    for (int l = 0; l < LANES; ++l) {
      const T d = a[j + l] - mean;
      acc[l] += d * d;
    }
  T s = 0;
  for (; j < N; ++j) s += (a[j] - mean) * (a[j] - mean);
  return s + reduce_lanes(acc);
}

// LN statistics of one row of N values: mean and r = (var + eps)^(-1/2), var without correction.
template <typename T>
RNNLAB_INLINE void ln_stats(const T* RNNLAB_R a, int64_t N, T eps, T& mean, T& r) {
  mean = sum_row(a, N) / T(N);
  r = T(1) / std::sqrt(centred_squares(a, mean, N) / T(N) + eps);
}

// Σ u_j and Σ u_j v_j with u_j = d_j γ_j: the two means of the LN backward,
// dz = r (u - mean(u) - ẑ mean(u ẑ)), u = d ẑ-gradient, v = ẑ.
template <typename T>
RNNLAB_INLINE void ln_grad_sums(const T* RNNLAB_R d, const T* RNNLAB_R gain,
                                const T* RNNLAB_R v, int64_t N, T& su, T& suv) {
  T a[LANES] = {}, b[LANES] = {};
  int64_t j = 0;
  for (; j + LANES <= N; j += LANES)
    for (int l = 0; l < LANES; ++l) {
      const T u = d[j + l] * gain[j + l];
      a[l] += u;
      b[l] += u * v[j + l];
    }
  su = 0;
  suv = 0;
  for (; j < N; ++j) {
    const T u = d[j] * gain[j];
    su += u;
    suv += u * v[j];
  }
  su += reduce_lanes(a);
  suv += reduce_lanes(b);
}

// The pointers of one step of the forward; rows are contiguous, row r of a (rows, N) buffer at
// r * N. Optional parts are null when absent.
template <typename T>
struct Fwd {
  T* z;             // (rows, G*H): the input part of a on entry, the gates on exit
  const T* c_prev;  // (rows, H)
  T* c;             // (rows, H) c_t
  T* tc;            // (rows, H) tanh(y_t)
  T* h;             // (rows, H) m_t = o tanh(y_t): the output, or the projection's input
  const T* p;       // (S, H) peepholes
  T* ah;            // (rows, G*H) W_hh h_{t-1} on entry, its LN on exit (AhHat), or null
  T* rh;            // (rows) 1/std of W_hh h_{t-1} (Rh)
  const T* g_hh;    // (G*H) γ_hh
  T* chat;          // (rows, H) LN(c_t) (CHat), or null
  T* rc;            // (rows) 1/std of c_t (Rc)
  const T* g_c;     // (H) γ_c
  const T* b_c;     // (H) β_c, or null
  const T* bias;    // (G*H) b = b_ih + b_hh, added here (Z came without it), or null
  T eps;
  int64_t H;
};

// The per-row pieces take their buffers as __restrict__ parameters: GCC honours restrict on
// parameters (also after inlining), not on local pointers loaded from a struct, and without it
// it does not vectorise the loops (it must assume that the stores may change the loads).

// a += γ_hh LN(W_hh h_prev) over one row of N = G*H: ar holds W_hh h_prev on entry, its LN
// (AhHat) on exit; returns 1/std (Rh).
template <typename T>
RNNLAB_INLINE T ln_gates_row(T* RNNLAB_R ar, T* RNNLAB_R zr, const T* RNNLAB_R gh, int64_t N,
                             T eps) {
  T mean, rstd;
  ln_stats(ar, N, eps, mean, rstd);
  for (int64_t j = 0; j < N; ++j) {
    const T a_hat = (ar[j] - mean) * rstd;
    ar[j] = a_hat;
    zr[j] += gh[j] * a_hat;
  }
  return rstd;
}

// z += b over one row: the bias joins the row while it is in cache, rather than being
// broadcast into all T·B rows of Z by addmm before the loop (one more pass over T·B·G·H).
template <typename T>
RNNLAB_INLINE void add_row(T* RNNLAB_R zr, const T* RNNLAB_R b, int64_t N) {
  for (int64_t j = 0; j < N; ++j) zr[j] += b[j];
}

// The gates and c_t of one row; without LNC also tanh(y_t), y_t = c_t, and m_t = o tanh(y_t).
template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_INLINE void gate_row(T* RNNLAB_R zr, const T* RNNLAB_R cp, T* RNNLAB_R cr,
                            T* RNNLAB_R tr, T* RNNLAB_R hr, const T* RNNLAB_R p, int64_t H) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;  // sigmoid gates that read c_{t-1}: (i, f) | i | f
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
    zr[j] = s0;
    zr[K * H + j] = g;
    zr[(K + 1) * H + j] = o;
    cr[j] = cn;
    if (!LNC) {
      const T t = tanh_(cn);  // tanh(y), y = c
      tr[j] = t;
      hr[j] = o * t;  // m = o tanh(y)
    }
  }
}

// y = γ_c LN(c) + β_c (SHIFT: with β_c), tanh(y) and m = o tanh(y) of one row, over the row
// of c just written (still in cache); returns 1/std (Rc).
template <typename T, bool SHIFT>
RNNLAB_INLINE T cell_ln_row(const T* RNNLAB_R cr, T* RNNLAB_R ch, const T* RNNLAB_R gc,
                            const T* RNNLAB_R bc, const T* RNNLAB_R orow, T* RNNLAB_R tr,
                            T* RNNLAB_R hr, int64_t H, T eps) {
  T mean, rstd;
  ln_stats(cr, H, eps, mean, rstd);
  for (int64_t j = 0; j < H; ++j) {
    const T c_hat = (cr[j] - mean) * rstd;
    ch[j] = c_hat;
    const T y = SHIFT ? bc[j] + c_hat * gc[j] : c_hat * gc[j];
    const T t = tanh_(y);
    tr[j] = t;
    hr[j] = orow[j] * t;  // m = o tanh(y)
  }
  return rstd;
}

// Forward math of rows [r0, r1) of one step. LNC: layer norm of c_t (a template parameter,
// because it moves tanh(y) and m out of the gate loop into a pass after the row's statistics).
template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_INLINE void forward_rows(const Fwd<T>& s, int64_t r0, int64_t r1) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;
  const int64_t H = s.H;
  for (int64_t r = r0; r < r1; ++r) {
    T* zr = s.z + r * G * H;
    if (s.bias) add_row(zr, s.bias, G * H);
    if (s.ah) s.rh[r] = ln_gates_row(s.ah + r * G * H, zr, s.g_hh, G * H, s.eps);
    gate_row<T, MODE, PEEP, LNC>(zr, s.c_prev + r * H, s.c + r * H, s.tc + r * H, s.h + r * H,
                                 s.p, H);
    if (LNC) {
      s.rc[r] = s.b_c
          ? cell_ln_row<T, true>(s.c + r * H, s.chat + r * H, s.g_c, s.b_c, zr + (K + 1) * H,
                                 s.tc + r * H, s.h + r * H, H, s.eps)
          : cell_ln_row<T, false>(s.c + r * H, s.chat + r * H, s.g_c, s.b_c, zr + (K + 1) * H,
                                  s.tc + r * H, s.h + r * H, H, s.eps);
    }
  }
}

// The pointers of one step of the backward.
template <typename T>
struct Bwd {
  const T* z;        // (rows, G*H) gates
  const T* c_prev;   // (rows, H)
  const T* tc;       // (rows, H) tanh(y_t) as the forward kept it, or null (see tc_again)
  T* tc_again;       // (rows, H) where tanh(y_t) is formed anew from LN(c_t), or null
  const T* dout;     // (rows, H) d out_t, or d m_t itself when dh_next is null (projection)
  const T* dh_next;  // (rows, H) d h_t from step t+1, or null
  T* dc;             // (rows, H) d c_t from step t+1 on entry, d c_{t-1} on exit
  T* da;             // (rows, G*H) d a
  const T* p;        // (S, H) peepholes
  T* dy;             // (rows, H) d y_t (dY), or null without LN(c)
  const T* chat;     // (rows, H) LN(c_t)
  const T* rc;       // (rows)
  const T* g_c;      // (H)
  const T* b_c;      // (H) β_c, or null
  T* dah;            // (rows, G*H) d (W_hh h_{t-1}) (dAh), or null without LN(W_hh h)
  const T* ahat;     // (rows, G*H) LN(W_hh h_{t-1})
  const T* rh;       // (rows)
  const T* g_hh;     // (G*H)
  // Per-row sums over the steps of the layer-norm gains' gradients, or null: dγ_hh = Σ_t d a ⊙
  // LN(W_hh h_{t-1}), dγ_c = Σ_t d y ⊙ LN(c_t), dβ_c = Σ_t d y, added while the rows are in
  // cache (batched after the loop they were passes over T·B·G·H floats and a temporary as large).
  T* dg_hh;          // (rows, G*H)
  T* dg_c;           // (rows, H)
  T* db_c;           // (rows, H)
  int64_t H;
};

// d y = d m o tanh'(y) of one row (ADD: d m = d out + d h_next, else d m = dout), kept as dY.
template <typename T, bool ADD>
RNNLAB_INLINE void dy_row(const T* RNNLAB_R dor, const T* RNNLAB_R dhr, const T* RNNLAB_R orow,
                          const T* RNNLAB_R tr, T* RNNLAB_R dyr, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    const T dm = ADD ? dor[j] + dhr[j] : dor[j];
    dyr[j] = dm * orow[j] * (T(1) - tr[j] * tr[j]);  // m = o tanh(y)
  }
}

// d a of one row from d m and d c = dc_next; dc becomes d c_{t-1} in place. With LNC, d y
// (dyr) is given and y = γ_c LN(c) + β_c: d c += r (d ĉ - m1 - ĉ m2), d ĉ = γ_c d y, m1 and m2
// the row means of d ĉ and d ĉ ĉ.
template <typename T, int MODE, bool PEEP, bool LNC, bool ADD>
RNNLAB_INLINE void grad_row(const T* RNNLAB_R zr, const T* RNNLAB_R cp, const T* RNNLAB_R tr,
                            const T* RNNLAB_R dor, const T* RNNLAB_R dhr, T* RNNLAB_R dcr,
                            T* RNNLAB_R dar, const T* RNNLAB_R p, const T* RNNLAB_R dyr,
                            const T* RNNLAB_R ch, const T* RNNLAB_R gc, T m1, T m2, T rstd_c,
                            int64_t H) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;
  for (int64_t j = 0; j < H; ++j) {
    const T dh = ADD ? dor[j] + dhr[j] : dor[j];  // d m_t
    const T s0 = zr[j], g = zr[K * H + j], o = zr[(K + 1) * H + j], t = tr[j];
    const T da_o = dh * t * (o - o * o);  // m = o tanh(y), o = σ(a_o + p_o c)
    T d = dcr[j];  // d c_t from step t+1
    if (LNC) {
      d += rstd_c * (dyr[j] * gc[j] - m1 - ch[j] * m2);  // y = γ_c LN(c) + β_c
    } else {
      d += dh * o * (T(1) - t * t);  // y = c
    }
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

// a = ... + γ_hh LN(W_hh h_prev): d (W_hh h_prev) of one row of N = G*H from d a (in cache).
template <typename T>
RNNLAB_INLINE void dah_row(const T* RNNLAB_R dar, const T* RNNLAB_R ah, const T* RNNLAB_R gh,
                           T rstd, T* RNNLAB_R dahr, int64_t N) {
  T su, suv;
  ln_grad_sums(dar, gh, ah, N, su, suv);
  const T a1 = su / T(N), a2 = suv / T(N);
  for (int64_t j = 0; j < N; ++j) dahr[j] = rstd * (dar[j] * gh[j] - a1 - ah[j] * a2);
}

// tanh(y) of one row anew, y = γ_c LN(c) + β_c from the kept LN(c) (the forward keeps no
// tanh(y) with LN(c) and no projection: T·B·H floats less, for one tanh per element here).
template <typename T>
RNNLAB_INLINE void tanh_y_row(const T* RNNLAB_R ch, const T* RNNLAB_R gc, const T* RNNLAB_R bc,
                              T* RNNLAB_R tr, int64_t H) {
  if (bc) {
    for (int64_t j = 0; j < H; ++j) tr[j] = tanh_(bc[j] + ch[j] * gc[j]);
  } else {
    for (int64_t j = 0; j < H; ++j) tr[j] = tanh_(ch[j] * gc[j]);
  }
}

// Backward math of rows [r0, r1) of one step: d a from d m and d c = dc_next; dc becomes
// d c_{t-1} in place; with layer norm also d y and d (W_hh h_{t-1}).
template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_INLINE void backward_rows(const Bwd<T>& s, int64_t r0, int64_t r1) {
  constexpr int64_t G = MODE == 0 ? 4 : 3;
  constexpr int64_t K = G - 2;
  const int64_t H = s.H;
  const bool add = s.dh_next != nullptr;
  for (int64_t r = r0; r < r1; ++r) {
    const T* zr = s.z + r * G * H;
    const T* dor = s.dout + r * H;
    const T* dhr = add ? s.dh_next + r * H : nullptr;
    T* dyr = LNC ? s.dy + r * H : nullptr;
    const T* ch = LNC ? s.chat + r * H : nullptr;
    const T* tr = s.tc ? s.tc + r * H : s.tc_again + r * H;
    if (LNC && !s.tc) tanh_y_row(ch, s.g_c, s.b_c, s.tc_again + r * H, H);
    T m1 = 0, m2 = 0, rstd_c = 0;
    if (LNC) {  // y = γ_c LN(c) + β_c: d y first, then the row means of the LN backward
      if (add) dy_row<T, true>(dor, dhr, zr + (K + 1) * H, tr, dyr, H);
      else dy_row<T, false>(dor, dhr, zr + (K + 1) * H, tr, dyr, H);
      T su, suv;
      ln_grad_sums(dyr, s.g_c, ch, H, su, suv);
      m1 = su / T(H);
      m2 = suv / T(H);
      rstd_c = s.rc[r];
      if (s.dg_c) {  // y = γ_c LN(c) + β_c: dγ_c += d y ⊙ LN(c), dβ_c += d y
        T* RNNLAB_R gcr = s.dg_c + r * H;
        for (int64_t j = 0; j < H; ++j) gcr[j] += dyr[j] * ch[j];
        if (s.db_c) {
          T* RNNLAB_R bcr = s.db_c + r * H;
          for (int64_t j = 0; j < H; ++j) bcr[j] += dyr[j];
        }
      }
    }
    T* dar = s.da + r * G * H;
    if (add)
      grad_row<T, MODE, PEEP, LNC, true>(zr, s.c_prev + r * H, tr, dor, dhr, s.dc + r * H, dar,
                                         s.p, dyr, ch, s.g_c, m1, m2, rstd_c, H);
    else
      grad_row<T, MODE, PEEP, LNC, false>(zr, s.c_prev + r * H, tr, dor, dhr, s.dc + r * H,
                                          dar, s.p, dyr, ch, s.g_c, m1, m2, rstd_c, H);
    if (s.dah) {
      const T* ah = s.ahat + r * G * H;
      dah_row(dar, ah, s.g_hh, s.rh[r], s.dah + r * G * H, G * H);
      if (s.dg_hh) {  // a = ... + γ_hh LN(W_hh h_prev): dγ_hh += d a ⊙ LN(W_hh h_prev)
        T* RNNLAB_R ghr = s.dg_hh + r * G * H;
        for (int64_t j = 0; j < G * H; ++j) ghr[j] += dar[j] * ah[j];
      }
    }
  }
}

// The compiled copies of the row functions (see RNNLAB_AVX2 and RNNLAB_AVX512, cpu_math.h).
template <typename T, int MODE, bool PEEP, bool LNC>
void forward_base(const Fwd<T>& s, int64_t r0, int64_t r1) {
  forward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_AVX2 void forward_avx2(const Fwd<T>& s, int64_t r0, int64_t r1) {
  forward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_AVX512 void forward_avx512(const Fwd<T>& s, int64_t r0, int64_t r1) {
  forward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_AVX512 void backward_avx512(const Bwd<T>& s, int64_t r0, int64_t r1) {
  backward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
void backward_base(const Bwd<T>& s, int64_t r0, int64_t r1) {
  backward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
RNNLAB_AVX2 void backward_avx2(const Bwd<T>& s, int64_t r0, int64_t r1) {
  backward_rows<T, MODE, PEEP, LNC>(s, r0, r1);
}

template <typename T, int MODE, bool PEEP, bool LNC>
void forward_step(const Fwd<T>& s, int64_t n) {
  auto rows = have_avx512() ? forward_avx512<T, MODE, PEEP, LNC>
               : have_avx2() ? forward_avx2<T, MODE, PEEP, LNC> : forward_base<T, MODE, PEEP, LNC>;
  at::parallel_for(0, n, grain_rows(s.H), [&](int64_t r0, int64_t r1) { rows(s, r0, r1); });
}

template <typename T, int MODE, bool PEEP, bool LNC>
void backward_step(const Bwd<T>& s, int64_t n) {
  auto rows = have_avx512() ? backward_avx512<T, MODE, PEEP, LNC>
               : have_avx2() ? backward_avx2<T, MODE, PEEP, LNC>
                             : backward_base<T, MODE, PEEP, LNC>;
  at::parallel_for(0, n, grain_rows(s.H), [&](int64_t r0, int64_t r1) { rows(s, r0, r1); });
}

// Pick the template instance for (mode, peephole, LN(c)) and call it; T is the scalar type.
#define RNNLAB_PICK(FN, T, MODE, PEEP, LNC, ...)                                          \
  do {                                                                                   \
    const int m_ = static_cast<int>(MODE);                                               \
    const bool p_ = (PEEP), l_ = (LNC);                                                  \
    if (m_ == 0) {                                                                       \
      if (p_) l_ ? FN<T, 0, true, true>(__VA_ARGS__) : FN<T, 0, true, false>(__VA_ARGS__);   \
      else l_ ? FN<T, 0, false, true>(__VA_ARGS__) : FN<T, 0, false, false>(__VA_ARGS__);    \
    } else if (m_ == 1) {                                                                \
      if (p_) l_ ? FN<T, 1, true, true>(__VA_ARGS__) : FN<T, 1, true, false>(__VA_ARGS__);   \
      else l_ ? FN<T, 1, false, true>(__VA_ARGS__) : FN<T, 1, false, false>(__VA_ARGS__);    \
    } else {                                                                             \
      if (p_) l_ ? FN<T, 2, true, true>(__VA_ARGS__) : FN<T, 2, true, false>(__VA_ARGS__);   \
      else l_ ? FN<T, 2, false, true>(__VA_ARGS__) : FN<T, 2, false, false>(__VA_ARGS__);    \
    }                                                                                    \
  } while (0)

bool given(const c10::optional<at::Tensor>& t) { return t.has_value() && t->defined(); }

at::Tensor contiguous_or_none(const c10::optional<at::Tensor>& t) {
  return given(t) ? t->contiguous() : at::Tensor();
}

}  // namespace

// The forward loop. Z (T, B, G*H): the input part of a (γ_ih LN(W_ih x) + b, or W_ih x, with
// b = b_ih + b_hh then passed as ``bias`` and added in the pass), turned into the gates in
// place. Returns {out (T,B,P), h_T, c_T, Z, C (keep ? T : 2, B, H), TC (S, B, H; undefined
// when keep with LN(c) and no projection: the backward forms it anew), AhHat
// (S, B, G*H), Rh (S, B, 1), CHat (S, B, H), Rc (S, B, 1)}, S = keep ? T : 1, the last four
// undefined (None) without their layer norm. sizes: the batch size of each step, or empty (B at
// every step); with sizes the buffers start as zeros (finished rows output 0 and stay finite).
std::vector<at::Tensor> lstm_forward(
    at::Tensor Z, const at::Tensor& h0, const at::Tensor& c0, const at::Tensor& w_hh,
    const c10::optional<at::Tensor>& peephole, const c10::optional<at::Tensor>& w_hr,
    const c10::optional<at::Tensor>& ln_hh, const c10::optional<at::Tensor>& ln_c,
    const c10::optional<at::Tensor>& bias_ln_c, const c10::optional<at::Tensor>& bias,
    double eps, int64_t mode, const std::vector<int64_t>& sizes, bool keep) {
  TORCH_CHECK(Z.device().is_cpu(), "rnnlab's C++ LSTM core runs on the CPU only");
  TORCH_CHECK(Z.is_contiguous(), "rnnlab's C++ LSTM core needs a contiguous Z");
  const int64_t T = Z.size(0), B = Z.size(1), H = c0.size(1), P = h0.size(1);
  const int64_t G = mode == 0 ? 4 : 3, S = keep ? T : 1, GH = G * H;
  const bool packed = !sizes.empty(), peep = given(peephole), proj = given(w_hr);
  const bool ln_gates = given(ln_hh), ln_cell = given(ln_c);
  auto opts = Z.options();
  auto make = [&](at::IntArrayRef shape) {
    return packed ? at::zeros(shape, opts) : at::empty(shape, opts);
  };
  at::Tensor out = make({T, B, P});
  at::Tensor C = make({keep ? T : 2, B, H});
  // tanh(y_t) is kept for the backward unless y_t = γ_c LN(c_t) + β_c, which the backward
  // forms anew from the kept LN(c_t) (with a projection dW_hr reads it: kept then)
  const bool tc_kept = keep && !(ln_cell && !proj);
  at::Tensor TC = make({tc_kept ? T : 1, B, H});
  at::Tensor AhHat = ln_gates ? make({S, B, GH}) : at::Tensor();
  at::Tensor Rh = ln_gates ? make({S, B, 1}) : at::Tensor();
  at::Tensor CHat = ln_cell ? make({S, B, H}) : at::Tensor();
  at::Tensor Rc = ln_cell ? make({S, B, 1}) : at::Tensor();
  at::Tensor M = proj ? at::empty({B, H}, opts) : at::Tensor();  // m_t, the projection's input
  at::Tensor h0c = h0.contiguous(), c0c = c0.contiguous();
  at::Tensor h_T = h0c.clone(), c_T = c0c.clone();
  at::Tensor p = contiguous_or_none(peephole), g_hh = contiguous_or_none(ln_hh);
  at::Tensor g_c = contiguous_or_none(ln_c), b_c = contiguous_or_none(bias_ln_c);
  at::Tensor b = contiguous_or_none(bias);
  AT_DISPATCH_FLOATING_TYPES(Z.scalar_type(), "rnnlab_lstm_forward", [&] {
    using T_ = scalar_t;
    // each step's rows by pointer: step t of a (T, B, N) buffer starts at t * B * N
    T_ *z0 = ptr<T_>(Z), *out0 = ptr<T_>(out), *C0 = ptr<T_>(C), *TC0 = ptr<T_>(TC);
    T_ *ah0 = ptr<T_>(AhHat), *rh0 = ptr<T_>(Rh), *ch0 = ptr<T_>(CHat), *rc0 = ptr<T_>(Rc);
    T_ *m0 = ptr<T_>(M), *hT = ptr<T_>(h_T), *cT = ptr<T_>(c_T);
    const T_ *h_init = ptr<T_>(h0c), *c_init = ptr<T_>(c0c);
    // Rows [r0, r1) of the batch through all T steps (see row_blocks).
    auto run = [&](int64_t r0, int64_t r1) {
      // the recurrent weights, packed once for the whole loop (packed_gemm.h)
      const PackedWeight rec(w_hh, true, r1 - r0);
      std::optional<PackedWeight> projection;
      if (proj) projection.emplace(*w_hr, true, r1 - r0);
      T_* m = proj ? m0 + r0 * H : nullptr;
      for (int64_t t = 0; t < T; ++t) {
        const int64_t n = std::min(packed ? sizes[t] : B, r1) - r0;  // rows of the block running
        if (n <= 0) break;  // sizes never grow again
        const int64_t ct = keep ? t : t % 2, cprev = keep ? t - 1 : 1 - ct, s = keep ? t : 0;
        T_* z = z0 + (t * B + r0) * GH;
        T_* h = out0 + (t * B + r0) * P;
        T_* c = C0 + (ct * B + r0) * H;
        const T_* h_prev = t ? h - B * P : h_init + r0 * P;
        const T_* c_prev = t ? C0 + (cprev * B + r0) * H : c_init + r0 * H;
        T_* ah = ln_gates ? ah0 + (s * B + r0) * GH : nullptr;
        if (ln_gates) {
          rec.mm(h_prev, P, ah, GH, n, 0.0);  // W_hh h_prev; normalised and added in the pass
        } else {
          rec.mm(h_prev, P, z, GH, n, 1.0);  // a = W_ih x + W_hh h_prev (+ b in the pass)
        }
        T_* tc = TC0 + ((tc_kept ? s : 0) * B + r0) * H;
        Fwd<T_> st{z, c_prev, c, tc, proj ? m : h, ptr<T_>(p),
                   ah, ln_gates ? rh0 + s * B + r0 : nullptr, ptr<T_>(g_hh),
                   ln_cell ? ch0 + (s * B + r0) * H : nullptr,
                   ln_cell ? rc0 + s * B + r0 : nullptr, ptr<T_>(g_c), ptr<T_>(b_c),
                   ptr<T_>(b), static_cast<T_>(eps), H};
        RNNLAB_PICK(forward_step, T_, mode, peep, ln_cell, st, n);
        if (proj) projection->mm(m, H, h, P, n, 0.0);  // h = W_hr m
        copy_finished_rows(hT, out0 + t * B * P, P, sizes, t, T, B, r0, n);
        copy_finished_rows(cT, C0 + ct * B * H, H, sizes, t, T, B, r0, n);
      }
    };
    row_blocks(B, run);
  });
  return {out, h_T, c_T, Z, C, keep && !tc_kept ? at::Tensor() : TC, AhHat, Rh, CHat, Rc};
}

// The backward loop: returns {dA (T,B,G*H), dAh (d (W_hh h_{t-1}); dA itself without layer
// norm), dH (T,B,P) d h_t with a projection, dY (T,B,H) d y_t with LN(c), dh0, dc0}; dH and
// dY undefined (None) where absent. The batched input and weight gradients are formed from
// them after the loop, in Python.
std::vector<at::Tensor> lstm_backward(
    const at::Tensor& dout, const at::Tensor& dh_T, const at::Tensor& dc_T,
    const at::Tensor& c0, const at::Tensor& w_hh, const c10::optional<at::Tensor>& peephole,
    const c10::optional<at::Tensor>& w_hr, const c10::optional<at::Tensor>& ln_hh,
    const c10::optional<at::Tensor>& ln_c, const c10::optional<at::Tensor>& bias_ln_c,
    const at::Tensor& Z, const at::Tensor& C, const c10::optional<at::Tensor>& TC,
    const c10::optional<at::Tensor>& AhHat,
    const c10::optional<at::Tensor>& Rh, const c10::optional<at::Tensor>& CHat,
    const c10::optional<at::Tensor>& Rc, int64_t mode, const std::vector<int64_t>& sizes) {
  TORCH_CHECK(dout.device().is_cpu(), "rnnlab's C++ LSTM core runs on the CPU only");
  TORCH_CHECK(Z.is_contiguous() && C.is_contiguous() && (!given(TC) || TC->is_contiguous()),
              "rnnlab's C++ LSTM core needs the forward's buffers as it made them");
  const int64_t T = Z.size(0), B = Z.size(1), H = c0.size(1), P = dh_T.size(1);
  const int64_t G = mode == 0 ? 4 : 3, GH = G * H;
  const bool packed = !sizes.empty(), peep = given(peephole), proj = given(w_hr);
  const bool ln_gates = given(ln_hh), ln_cell = given(ln_c);
  TORCH_CHECK(given(TC) || ln_cell, "rnnlab's C++ LSTM core needs tanh(y_t) without LN(c)");
  auto make = [&](at::IntArrayRef shape) {
    return packed ? at::zeros(shape, Z.options()) : at::empty(shape, Z.options());
  };
  // tanh(y_t) of the step running, formed anew where the forward did not keep it
  at::Tensor TCagain = given(TC) ? at::Tensor() : at::empty({B, H}, Z.options());
  at::Tensor dA = make({T, B, GH});
  at::Tensor dAh = ln_gates ? make({T, B, GH}) : dA;
  at::Tensor dH = proj ? make({T, B, P}) : at::Tensor();
  at::Tensor dY = ln_cell ? make({T, B, H}) : at::Tensor();
  at::Tensor DM = proj ? at::empty({B, H}, Z.options()) : at::Tensor();  // d m_t
  // the gains' gradients, summed over the steps per row (Bwd::dg_hh), then over the rows
  at::Tensor DGhh = ln_gates ? at::zeros({B, GH}, Z.options()) : at::Tensor();
  at::Tensor DGc = ln_cell ? at::zeros({B, H}, Z.options()) : at::Tensor();
  at::Tensor DBc = ln_cell && given(bias_ln_c) ? at::zeros({B, H}, Z.options()) : at::Tensor();
  at::Tensor dh_next = dh_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor dc_next = dc_T.clone(at::MemoryFormat::Contiguous);
  at::Tensor d_out = dout.contiguous();
  at::Tensor p = contiguous_or_none(peephole), g_hh = contiguous_or_none(ln_hh);
  at::Tensor g_c = contiguous_or_none(ln_c), b_c = contiguous_or_none(bias_ln_c);
  at::Tensor tc = contiguous_or_none(TC);
  at::Tensor ahat = contiguous_or_none(AhHat), rh = contiguous_or_none(Rh);
  at::Tensor chat = contiguous_or_none(CHat), rc = contiguous_or_none(Rc);
  at::Tensor c0c = c0.contiguous();
  AT_DISPATCH_FLOATING_TYPES(Z.scalar_type(), "rnnlab_lstm_backward", [&] {
    using T_ = scalar_t;
    // each step's rows by pointer, as in the forward
    const T_ *z0 = ptr<T_>(Z), *C0 = ptr<T_>(C), *TC0 = ptr<T_>(tc), *dout0 = ptr<T_>(d_out);
    T_* tca0 = ptr<T_>(TCagain);
    const T_ *ahat0 = ptr<T_>(ahat), *rh0 = ptr<T_>(rh), *chat0 = ptr<T_>(chat);
    const T_ *rc0 = ptr<T_>(rc), *c_init = ptr<T_>(c0c);
    T_ *dA0 = ptr<T_>(dA), *dAh0 = ptr<T_>(dAh), *dH0 = ptr<T_>(dH), *dY0 = ptr<T_>(dY);
    T_ *dm0 = ptr<T_>(DM), *dhn0 = ptr<T_>(dh_next), *dcn0 = ptr<T_>(dc_next);
    T_ *dghh0 = ptr<T_>(DGhh), *dgc0 = ptr<T_>(DGc), *dbc0 = ptr<T_>(DBc);
    // Rows [r0, r1) of the batch back through all T steps (row_blocks, as in the forward).
    auto run = [&](int64_t r0, int64_t r1) {
      // d h_prev's products, their weights packed once (packed_gemm.h), as in the forward
      const PackedWeight rec(w_hh, false, r1 - r0);
      std::optional<PackedWeight> projection;
      if (proj) projection.emplace(*w_hr, false, r1 - r0);
      T_ *dm = proj ? dm0 + r0 * H : nullptr, *dhn = dhn0 + r0 * P, *dcn = dcn0 + r0 * H;
      for (int64_t t = T - 1; t >= 0; --t) {
        const int64_t n = std::min(packed ? sizes[t] : B, r1) - r0;  // rows of the block running
        if (n <= 0) continue;
        const int64_t row = t * B + r0;  // the block's first row in a (T, B, ·) buffer
        const T_* dout_t = dout0 + row * P;
        if (proj) {  // h = W_hr m: d h = d out + d h_next (kept for dW_hr), d m = d h W_hr
          T_* dh = dH0 + row * P;
          for (int64_t i = 0; i < n * P; ++i) dh[i] = dout_t[i] + dhn[i];
          projection->mm(dh, P, dm, H, n, 0.0);
        }
        Bwd<T_> st{z0 + row * GH, t ? C0 + (row - B) * H : c_init + r0 * H,
                   TC0 ? TC0 + row * H : nullptr, tca0 ? tca0 + r0 * H : nullptr,
                   proj ? dm : dout_t, proj ? nullptr : dhn, dcn, dA0 + row * GH, ptr<T_>(p),
                   ln_cell ? dY0 + row * H : nullptr, ln_cell ? chat0 + row * H : nullptr,
                   ln_cell ? rc0 + row : nullptr, ptr<T_>(g_c), ptr<T_>(b_c),
                   ln_gates ? dAh0 + row * GH : nullptr, ln_gates ? ahat0 + row * GH : nullptr,
                   ln_gates ? rh0 + row : nullptr, ptr<T_>(g_hh),
                   dghh0 ? dghh0 + r0 * GH : nullptr, dgc0 ? dgc0 + r0 * H : nullptr,
                   dbc0 ? dbc0 + r0 * H : nullptr, H};
        RNNLAB_PICK(backward_step, T_, mode, peep, ln_cell, st, n);
        rec.mm(dAh0 + row * GH, GH, dhn, P, n, 0.0);  // a = ... + W_hh h_prev
      }
    };
    row_blocks(B, run);
  });
  const auto rows_sum = [](const at::Tensor& t) { return t.defined() ? t.sum(0) : t; };
  return {dA, dAh, dH, dY, dh_next, dc_next, rows_sum(DGhh), rows_sum(DGc), rows_sum(DBc)};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &lstm_forward, "rnnlab LSTM forward loop (CPU)");
  m.def("lstm_backward", &lstm_backward, "rnnlab LSTM backward loop (CPU)");
  m.def("row_blocks", &row_block_count,
        "how many blocks of rows the loops run side by side for a batch of B (cpu_math.h)");
  bind_products(m);
}
