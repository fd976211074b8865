// The recurrent products of rnnlab's C++ cores with their weight packed once per call.
//
// Every step of a recurrent loop multiplies a small batch (B rows) by the same weight: W_hh h
// in the forward, dA W_hh in the backward. A plain GEMM re-packs the weight into its blocked
// layout at every call, and at B = 32 that packing costs about as much as the product itself
// (measured on one thread beside two training runs: (32 x 512) by (512 x 2048) in 1.2 ms with
// at::addmm_, 0.8 ms packed). MKL, which libtorch_cpu carries, can pack a matrix once and reuse
// it (cblas_sgemm_pack / cblas_sgemm_compute).
//
// PackedWeight packs op(W) once; mm() then computes C = A op(W) + beta C. It falls back to
// at::mm_out / at::addmm_ (the same arithmetic, unpacked) for double, where MKL's symbols are
// not found (a torch without MKL: looked up at run time, so the core still loads), where
// RNNLAB_NO_PACKED_GEMM is set, and for steps whose row count differs from the one packed for
// (the finished rows of a packed batch), since a packed matrix is only promised to serve the
// m it was packed with.

#pragma once

#include <torch/extension.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <type_traits>

namespace {

// The leading dimension of a row-major matrix t: its row stride, which a tensor with one row
// may leave at any value (its rows are never stepped over), raised to the row length BLAS wants.
inline int leading_dim(const at::Tensor& t) {
  return int(std::max(t.stride(0), t.size(1)));
}

// MKL's CBLAS constants (mkl_cblas.h).
constexpr int kCblasRowMajor = 101, kCblasNoTrans = 111, kCblasTrans = 112;
constexpr int kCblasPacked = 151, kCblasBMatrix = 162;

struct MklPackedApi {
  using GetSize = size_t (*)(int, int, int, int);
  using Pack = void (*)(int, int, int, int, int, int, float, const float*, int, float*);
  using Compute = void (*)(int, int, int, int, int, int, const float*, int, const float*, int,
                           float, float*, int);
  GetSize get_size = nullptr;
  Pack pack = nullptr;
  Compute compute = nullptr;
  bool ok = false;
};

inline void* mkl_symbol(const char* name) {
  // libtorch_cpu is loaded already (this module links against it); RTLD_NOLOAD only finds it
  static void* lib = dlopen("libtorch_cpu.so", RTLD_LAZY | RTLD_NOLOAD);
  void* f = lib ? dlsym(lib, name) : nullptr;
  return f ? f : dlsym(RTLD_DEFAULT, name);
}

inline const MklPackedApi& mkl_packed() {
  static const MklPackedApi api = [] {
    MklPackedApi a;
    a.get_size = reinterpret_cast<MklPackedApi::GetSize>(mkl_symbol("cblas_sgemm_pack_get_size"));
    a.pack = reinterpret_cast<MklPackedApi::Pack>(mkl_symbol("cblas_sgemm_pack"));
    a.compute = reinterpret_cast<MklPackedApi::Compute>(mkl_symbol("cblas_sgemm_compute"));
    a.ok = a.get_size && a.pack && a.compute;
    return a;
  }();
  return api;
}

// op(W) for products A op(W) with A of m rows: op(W) = W^T for a (n, k) weight used as
// x W^T (transposed = true, torch's layout of W_hh), or W itself for a (k, n) one.
class PackedWeight {
 public:
  PackedWeight(const at::Tensor& w, bool transposed, int64_t m)
      : w_(w.stride(-1) == 1 ? w : w.contiguous()), transposed_(transposed), m_(m) {
    const auto& api = mkl_packed();
    n_ = transposed ? w_.size(0) : w_.size(1);
    k_ = transposed ? w_.size(1) : w_.size(0);
    // read at every call, so that one process can time both ways (benchmarks/speed.py)
    const bool off = std::getenv("RNNLAB_NO_PACKED_GEMM") != nullptr;
    if (off || !api.ok || w_.scalar_type() != at::kFloat || m_ <= 0 || n_ == 0 || k_ == 0) return;
    const size_t bytes = api.get_size(kCblasBMatrix, int(m_), int(n_), int(k_));
    buffer_ = at::empty({int64_t(bytes / sizeof(float)) + 1}, w_.options());
    api.pack(kCblasRowMajor, kCblasBMatrix, transposed ? kCblasTrans : kCblasNoTrans, int(m_),
             int(n_), int(k_), 1.0f, w_.data_ptr<float>(), leading_dim(w_),
             buffer_.data_ptr<float>());
    packed_ = true;
  }

  // c = a op(W) + beta c, for a (rows, k) and c (rows, n). The packed product needs plain
  // row-major a and c (unit column stride, rows apart by at least their length); anything
  // else takes the unpacked one.
  void mm(const at::Tensor& a, at::Tensor c, double beta) const {
    const int64_t rows = a.size(0);
    const auto row_major = [rows](const at::Tensor& t) {
      return t.stride(1) == 1 && (rows == 1 || t.stride(0) >= t.size(1));
    };
    if (packed_ && rows == m_ && row_major(a) && row_major(c)) {
      mkl_packed().compute(kCblasRowMajor, kCblasNoTrans, kCblasPacked, int(rows), int(n_),
                           int(k_), a.data_ptr<float>(), leading_dim(a),
                           buffer_.data_ptr<float>(), 0, float(beta), c.data_ptr<float>(),
                           leading_dim(c));
      return;
    }
    const at::Tensor b = transposed_ ? w_.t() : w_;
    if (beta == 0.0) {
      at::mm_out(c, a, b);
    } else {
      c.addmm_(a, b, beta);
    }
  }

  // The same on raw row-major rows, for the loops over time: a (rows, k) with rows lda
  // elements apart, c (rows, n) with rows ldc apart. A tensor view per step costs about a
  // microsecond to make, a sizeable share of a step at H 128 (several views per step); the
  // loops step their pointers instead, and only the unpacked fallback wraps them as tensors.
  template <typename T>
  void mm(const T* a, int64_t lda, T* c, int64_t ldc, int64_t rows, double beta) const {
    if constexpr (std::is_same_v<T, float>) {
      if (packed_ && rows == m_) {
        mkl_packed().compute(kCblasRowMajor, kCblasNoTrans, kCblasPacked, int(rows), int(n_),
                             int(k_), a, int(std::max(lda, k_)), buffer_.data_ptr<float>(), 0,
                             float(beta), c, int(std::max(ldc, n_)));
        return;
      }
    }
    if (rows == 0) return;
    const auto opts = w_.options();
    mm(at::from_blob(const_cast<T*>(a), {rows, k_}, {lda, 1}, opts),
       at::from_blob(c, {rows, n_}, {ldc, 1}, opts), beta);
  }

 private:
  at::Tensor w_, buffer_;
  bool transposed_;
  int64_t m_, n_ = 0, k_ = 0;
  bool packed_ = false;
};

}  // namespace
