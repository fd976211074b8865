// What rnnlab's C++ cores share (lstm_core.cpp, gru_core.cpp): the per-ISA compile switches
// and the scalar nonlinearities of the fused element-wise passes. Included by each core, which
// cpp_core.py builds as a module of its own; its text goes into every core's build hash.

#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

// Each step function is compiled twice on x86-64: for the baseline ISA (SSE2) and for AVX2 with
// FMA; the second is chosen at run time where the CPU has them (have_avx2 in each core).
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


// Rows of one step handed to a thread: about 1024 elements, each of which costs several exp
// calls. A larger grain kept a whole step of B 32, H 128 (4096 elements) on one thread while
// the other spun; 1024 measured 20-25 % faster per forward at H 128 and no slower at H 512 or
// B 1 (interleaved runs, 2026-12-03).
inline int64_t grain_rows(int64_t H) { return std::max<int64_t>(1, 1024 / std::max<int64_t>(H, 1)); }

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
