// The recurrent products of rnnlab's C++ cores on AVX-512 and AVX2 CPUs: C = A op(W) + beta C
// with op(W) (k x n) packed once per call into panels of 32 columns (AVX-512; 16 with AVX2),
// and a small register-blocked kernel over them.
//
// Why not MKL's packed GEMM (packed_gemm.h) everywhere: on an AMD EPYC with AVX-512 (Zen 4),
// MKL's products of one step, (16 x 512) by (512 x 2048) on one thread, ran at 71-75 GFLOP/s
// where oneDNN's RNN kernel, which torch.nn.LSTM runs, does its per-step products at ~110
// (torch.nn.LSTM inference at B 16, H 512, one thread, less its input part: 107 GFLOP/s).
// This kernel ran the same product at 112-115 GFLOP/s (2026-12-04, a stand-alone probe), and
// the four-gate cells' time is their products (docs/benchmarks.md).
//
// The layout: panel p holds columns [32 p, 32 p + 32) of op(W) as k rows of 32 floats, the
// last panel zero-padded; so one step of the kernel's inner loop reads 32 consecutive floats.
// The kernel keeps an (MR x 32) block of C in 2 MR zmm registers (MR <= 8: 16 accumulators,
// two weight vectors and a broadcast of A), and for each k does 2 MR fused multiply-adds
// against two loads of the panel and MR broadcasts of A:
//
//     C[i, j] = beta C[i, j] + sum_k A[i, k] op(W)[k, j],   i < MR, 32 p <= j < 32 p + 32.
//
// The panels are the outer loop, so each panel (k x 32 floats: 64 KB at k = 512) is read from
// memory once per product and re-read from cache for the next rows; A's rows (at most 16 x 512
// floats in a row block) stay in cache throughout. Only float32; the cores' double path keeps
// at::mm.
//
// With AVX2 (16 ymm registers of 8 floats) the same kernel runs on panels of 16 columns with
// MR <= 6: 12 accumulators, two weight vectors and a broadcast.

#pragma once

#include <ATen/Parallel.h>
#include <torch/extension.h>

#include <algorithm>
#include <cstdint>

#include "cpu_math.h"

#if RNNLAB_X86
#include <immintrin.h>
#endif

namespace {

constexpr int64_t kPanelCols = 32;  // two zmm registers of floats
constexpr int kMaxTileRows = 8;     // 2 x 8 accumulators of the 32 zmm registers
constexpr int64_t kPanelColsAvx2 = 16;  // two ymm registers of floats
constexpr int kMaxTileRowsAvx2 = 6;     // 2 x 6 accumulators of the 16 ymm registers

// op(W) of a (n, k) weight used as x W^T (transposed, torch's layout of W_hh) or of a (k, n)
// one used as x W, in panels of `width` columns: kPanelCols (AVX-512) or kPanelColsAvx2.
class PanelWeight {
 public:
  PanelWeight() = default;

  PanelWeight(const float* w, int64_t ldw, bool transposed, int64_t n, int64_t k, int64_t width)
      : n_(n), k_(k), width_(width), panels_((n + width - 1) / width) {
    buffer_ = at::zeros({panels_ * k_ * width_}, at::kFloat);
    float* out = buffer_.data_ptr<float>();
    for (int64_t p = 0; p < panels_; ++p) {
      float* panel = out + p * k_ * width_;
      const int64_t cols = std::min(width_, n_ - p * width_);
      if (transposed) {  // op(W)[kk, j] = W[j, kk]: read W's rows, write the panel's columns
        for (int64_t j = 0; j < cols; ++j) {
          const float* row = w + (p * width_ + j) * ldw;
          for (int64_t kk = 0; kk < k_; ++kk) panel[kk * width_ + j] = row[kk];
        }
      } else {  // op(W)[kk, j] = W[kk, j]: a slice of each row of W
        for (int64_t kk = 0; kk < k_; ++kk) {
          std::memcpy(panel + kk * width_, w + kk * ldw + p * width_, sizeof(float) * cols);
        }
      }
    }
  }

  bool ready() const { return buffer_.defined(); }

  // c (rows, n) = a (rows, k) op(W) + beta c, rows lda and ldc floats apart. Outside a
  // parallel region with more than one thread (one block of rows: B = 1), the panels are
  // split across the threads when the product is large enough to pay for the fork.
  void mm(const float* a, int64_t lda, float* c, int64_t ldc, int64_t rows, float beta) const {
    if (rows <= 0) return;
    const bool split = !at::in_parallel_region() && at::get_num_threads() > 1 &&
                       rows * n_ * k_ >= (int64_t(1) << 19);
    if (!split) {
      panels(a, lda, c, ldc, rows, beta, 0, panels_);
      return;
    }
    at::parallel_for(0, panels_, 1, [&](int64_t p0, int64_t p1) {
      panels(a, lda, c, ldc, rows, beta, p0, p1);
    });
  }

 private:
  void panels(const float* a, int64_t lda, float* c, int64_t ldc, int64_t rows, float beta,
              int64_t p0, int64_t p1) const;

  at::Tensor buffer_;
  int64_t n_ = 0, k_ = 0, width_ = kPanelCols, panels_ = 0;
};

#if RNNLAB_X86

// One (MR x 32) block of C from one panel; mask0 and mask1 select the columns that exist in
// the last panel (all 16 bits elsewhere).
template <int MR>
RNNLAB_AVX512 RNNLAB_INLINE void panel_tile(const float* RNNLAB_R a, int64_t lda,
                                            const float* RNNLAB_R panel, int64_t k,
                                            float* RNNLAB_R c, int64_t ldc, float beta,
                                            __mmask16 mask0, __mmask16 mask1) {
  __m512 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m512 w0 = _mm512_loadu_ps(panel + kk * kPanelCols);
    const __m512 w1 = _mm512_loadu_ps(panel + kk * kPanelCols + 16);
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * lda + kk]);
      acc0[i] = _mm512_fmadd_ps(ai, w0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, w1, acc1[i]);
    }
  }
  const __m512 vb = _mm512_set1_ps(beta);
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (beta != 0.0f) {  // beta = 0 must not read c: it may hold anything, NaN included
      acc0[i] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask0, ci), acc0[i]);
      acc1[i] = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask1, ci + 16), acc1[i]);
    }
    _mm512_mask_storeu_ps(ci, mask0, acc0[i]);
    _mm512_mask_storeu_ps(ci + 16, mask1, acc1[i]);
  }
}

RNNLAB_AVX512 inline void panel_rows(const float* a, int64_t lda, const float* panel, int64_t k,
                                     float* c, int64_t ldc, int64_t rows, float beta,
                                     __mmask16 mask0, __mmask16 mask1) {
  int64_t i = 0;
  for (; i + kMaxTileRows <= rows; i += kMaxTileRows) {
    panel_tile<kMaxTileRows>(a + i * lda, lda, panel, k, c + i * ldc, ldc, beta, mask0, mask1);
  }
  const float* ar = a + i * lda;
  float* cr = c + i * ldc;
  switch (rows - i) {  // the last rows, fewer than a tile
    case 7: panel_tile<7>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 6: panel_tile<6>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 5: panel_tile<5>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 4: panel_tile<4>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 3: panel_tile<3>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 2: panel_tile<2>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    case 1: panel_tile<1>(ar, lda, panel, k, cr, ldc, beta, mask0, mask1); break;
    default: break;
  }
}

// The AVX2 twin of panel_tile: an (MR x 16) block of C in 2 MR ymm registers; mask0 and mask1
// (lanes of -1 for the columns that exist) only in the last panel, `full` elsewhere.
template <int MR>
RNNLAB_AVX2 RNNLAB_INLINE void panel_tile_avx2(const float* RNNLAB_R a, int64_t lda,
                                               const float* RNNLAB_R panel, int64_t k,
                                               float* RNNLAB_R c, int64_t ldc, float beta,
                                               bool full, __m256i mask0, __m256i mask1) {
  __m256 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) {
    acc0[i] = _mm256_setzero_ps();
    acc1[i] = _mm256_setzero_ps();
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    const __m256 w0 = _mm256_loadu_ps(panel + kk * kPanelColsAvx2);
    const __m256 w1 = _mm256_loadu_ps(panel + kk * kPanelColsAvx2 + 8);
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * lda + kk);
      acc0[i] = _mm256_fmadd_ps(ai, w0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, w1, acc1[i]);
    }
  }
  const __m256 vb = _mm256_set1_ps(beta);
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (full) {
      if (beta != 0.0f) {  // beta = 0 must not read c: it may hold anything, NaN included
        acc0[i] = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), acc0[i]);
        acc1[i] = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), acc1[i]);
      }
      _mm256_storeu_ps(ci, acc0[i]);
      _mm256_storeu_ps(ci + 8, acc1[i]);
    } else {
      if (beta != 0.0f) {
        acc0[i] = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, mask0), acc0[i]);
        acc1[i] = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, mask1), acc1[i]);
      }
      _mm256_maskstore_ps(ci, mask0, acc0[i]);
      _mm256_maskstore_ps(ci + 8, mask1, acc1[i]);
    }
  }
}

// -1 in lane j of the 8 where j < cols (the columns of a panel's half that exist), else 0.
RNNLAB_AVX2 RNNLAB_INLINE __m256i lanes_below(int64_t cols) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::max<int64_t>(cols, 0))),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

RNNLAB_AVX2 inline void panel_rows_avx2(const float* a, int64_t lda, const float* panel,
                                        int64_t k, float* c, int64_t ldc, int64_t rows,
                                        float beta, int64_t cols) {
  const bool full = cols == kPanelColsAvx2;
  const __m256i mask0 = lanes_below(cols), mask1 = lanes_below(cols - 8);
  int64_t i = 0;
  for (; i + kMaxTileRowsAvx2 <= rows; i += kMaxTileRowsAvx2) {
    panel_tile_avx2<kMaxTileRowsAvx2>(a + i * lda, lda, panel, k, c + i * ldc, ldc, beta, full,
                                      mask0, mask1);
  }
  const float* ar = a + i * lda;
  float* cr = c + i * ldc;
  switch (rows - i) {  // the last rows, fewer than a tile
    case 5: panel_tile_avx2<5>(ar, lda, panel, k, cr, ldc, beta, full, mask0, mask1); break;
    case 4: panel_tile_avx2<4>(ar, lda, panel, k, cr, ldc, beta, full, mask0, mask1); break;
    case 3: panel_tile_avx2<3>(ar, lda, panel, k, cr, ldc, beta, full, mask0, mask1); break;
    case 2: panel_tile_avx2<2>(ar, lda, panel, k, cr, ldc, beta, full, mask0, mask1); break;
    case 1: panel_tile_avx2<1>(ar, lda, panel, k, cr, ldc, beta, full, mask0, mask1); break;
    default: break;
  }
}

inline void PanelWeight::panels(const float* a, int64_t lda, float* c, int64_t ldc,
                                int64_t rows, float beta, int64_t p0, int64_t p1) const {
  const float* base = buffer_.data_ptr<float>();
  if (width_ == kPanelColsAvx2) {
    for (int64_t p = p0; p < p1; ++p) {
      panel_rows_avx2(a, lda, base + p * k_ * width_, k_, c + p * width_, ldc, rows, beta,
                      std::min(width_, n_ - p * width_));
    }
    return;
  }
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t cols = std::min(kPanelCols, n_ - p * kPanelCols);
    const auto mask = [](int64_t bits) {
      return static_cast<__mmask16>(bits >= 16 ? 0xFFFF : (1u << std::max<int64_t>(bits, 0)) - 1);
    };
    panel_rows(a, lda, base + p * k_ * kPanelCols, k_, c + p * kPanelCols, ldc, rows, beta,
               mask(cols), mask(cols - 16));
  }
}

#else

inline void PanelWeight::panels(const float*, int64_t, float*, int64_t, int64_t, float,
                                int64_t, int64_t) const {
  TORCH_CHECK(false, "rnnlab's panel products need an x86-64 CPU with AVX-512 or AVX2");
}

#endif

}  // namespace
