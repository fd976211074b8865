// What rnnlab's C++ cores share (lstm_core.cpp, gru_core.cpp, elman_core.cpp): the per-ISA
// compile switches, the scalar nonlinearities of the fused element-wise passes, the split of a
// batch into blocks of rows that run side by side (row_blocks), buffers by pointer (ptr) and the
// copy of a packed batch's finished rows into the final state (copy_finished_rows). Included
// by each core, which cpp_core.py builds as a module of its own; its text goes into every
// core's build hash.

#pragma once

#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

// Each step function is compiled more than once on x86-64: for the baseline ISA (SSE2), for
// AVX2 with FMA and (the LSTM and Elman cores) for AVX-512; the widest the CPU has is chosen at
// run time (have_avx2, have_avx512). 16 floats per instruction rather than 8 halve the passes'
// instructions, and MKL's products already run AVX-512 code on such CPUs.
#if defined(__x86_64__) && defined(__GNUC__)
#define RNNLAB_X86 1
#define RNNLAB_AVX2 __attribute__((target("avx2,fma")))
#define RNNLAB_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))
#else
#define RNNLAB_X86 0
#define RNNLAB_AVX2
#define RNNLAB_AVX512
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


// Rows of one step handed to a thread: about 1024 elements, each of which costs several exp
// calls. A larger grain kept a whole step of B 32, H 128 (4096 elements) on one thread while
// the other spun; 1024 measured 20-25 % faster per forward at H 128 and no slower at H 512 or
// B 1 (interleaved runs, 2026-12-03).
inline int64_t grain_rows(int64_t H) { return std::max<int64_t>(1, 1024 / std::max<int64_t>(H, 1)); }

// Rows of a batch are independent through time: row b's step t reads only its own state at
// t - 1. So with several threads each can take one block of rows through all T steps — its own
// products (MKL runs on one thread inside a parallel region) and its own passes — and no thread
// waits for another between steps. Splitting each step across the threads instead costs a
// fork and a join per product and per pass: at B 32, H 128 a step is some 20 µs of work, and
// the joins took a large share of it. run(r0, r1) runs rows [r0, r1); with one thread, or
// fewer than kMinBlockRows rows per block, it runs all rows as one block (whose passes then
// split each step across the threads, the only parallelism a batch of one has).
constexpr int64_t kMinBlockRows = 4;

// How many blocks row_blocks makes of B rows here (1: all rows as one block).
inline int64_t row_block_count(int64_t B) {
  if (at::in_parallel_region()) return 1;
  return std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), B / kMinBlockRows));
}

template <typename F>
void row_blocks(int64_t B, const F& run) {
  const int64_t blocks = row_block_count(B);
  if (blocks <= 1) {
    run(0, B);
    return;
  }
  at::parallel_for(0, blocks, 1, [&](int64_t k0, int64_t k1) {
    // Grad mode is per thread and torch's workers do not inherit the caller's no_grad: the
    // unpacked products (float64, packed batches' shorter steps) would refuse weights that
    // require grad with out= arguments. Nothing in a loop is recorded by autograd anyway.
    const at::NoGradGuard no_grad;
    for (int64_t k = k0; k < k1; ++k) run(k * B / blocks, (k + 1) * B / blocks);
  });
}

// The data of a buffer by pointer, or null for an undefined (absent) one: the loops step raw
// row pointers, where a tensor view per step would cost about a microsecond each.
template <typename T>
T* ptr(const at::Tensor& t) { return t.defined() ? t.data_ptr<T>() : nullptr; }

// Inside a row block [r0, r0 + n) at step t: copy the rows that have just taken their last
// step (those at or past the batch size of step t + 1; every row after the last step) from
// step t's (B, width) rows into the final state (B, width). Packed batches only end rows, so
// each row is copied once, by the block that holds it.
template <typename T>
inline void copy_finished_rows(T* final_state, const T* step_rows, int64_t width,
                               const std::vector<int64_t>& sizes, int64_t t, int64_t T_steps,
                               int64_t B, int64_t r0, int64_t n) {
  const int64_t next = t + 1 < T_steps ? (sizes.empty() ? B : sizes[t + 1]) : 0;
  const int64_t first = std::max(next, r0), last = r0 + n;
  if (first < last) {
    std::memcpy(final_state + first * width, step_rows + first * width,
                sizeof(T) * (last - first) * width);
  }
}

// Whether this CPU runs the AVX-512 clones (asked once per process).
inline bool have_avx512() {
#if RNNLAB_X86
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
#else
  return false;
#endif
}

// Whether this CPU runs the AVX2/FMA clones (asked once per process).
inline bool have_avx2() {
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

}  // namespace
