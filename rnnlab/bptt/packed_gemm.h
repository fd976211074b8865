// The recurrent products of rnnlab's C++ cores with their weight packed once per call.
//
// Every step of a recurrent loop multiplies a small batch (B rows) by the same weight: W_hh h
// in the forward, dA W_hh in the backward. A plain GEMM re-packs the weight into its blocked
// layout at every call, and at B = 32 that packing costs about as much as the product itself
// (measured on one thread beside two training runs: (32 x 512) by (512 x 2048) in 1.2 ms with
// at::addmm_, 0.8 ms packed). MKL, which libtorch_cpu carries, can pack a matrix once and reuse
// it (cblas_sgemm_pack / cblas_sgemm_compute).
//
// PackedWeight packs op(W) once; mm() then computes C = A op(W) + beta C. On a CPU with
// AVX-512 or AVX2 it packs float32 weights into rnnlab's own panels (panel_gemm.h), which serve
// any row count; elsewhere into MKL's packed format. It falls back to at::mm_out / at::addmm_ (the
// same arithmetic, unpacked) for double, where MKL's symbols are not found (a torch without
// MKL: looked up at run time, so the core still loads), where RNNLAB_NO_PACKED_GEMM is set,
// and, with MKL's packing, for steps whose row count differs from the one packed for (the
// finished rows of a packed batch), since a packed matrix is only promised to serve the m it
// was packed with. RNNLAB_NO_PANEL_GEMM keeps MKL's packing on those CPUs (to compare them), and
// RNNLAB_PANELS_AVX2 the AVX2 kernel on an AVX-512 one (to test it there).

#pragma once

#include <torch/extension.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "panel_gemm.h"

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
    if (off || w_.scalar_type() != at::kFloat || m_ <= 0 || n_ == 0 || k_ == 0) return;
    if (panels_wanted()) {
      panels_ = PanelWeight(w_.data_ptr<float>(), leading_dim(w_), transposed, n_, k_,
                            panel_width());
      return;
    }
    if (!api.ok) return;
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
    if (panels_.ready() && row_major(a) && row_major(c)) {
      panels_.mm(a.data_ptr<float>(), leading_dim(a), c.data_ptr<float>(), leading_dim(c), rows,
                 float(beta));
      return;
    }
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
      if (panels_.ready()) {
        panels_.mm(a, std::max(lda, k_), c, std::max(ldc, n_), rows, float(beta));
        return;
      }
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

 // Which product a float32 weight gets here: "panels", "mkl-packed" or "plain".
  static const char* kind() {
    if (std::getenv("RNNLAB_NO_PACKED_GEMM") != nullptr) return "plain";
    if (panels_wanted()) return "panels";
    return mkl_packed().ok ? "mkl-packed" : "plain";
  }

 // The panels' width in floats: 32 with AVX-512, 16 with AVX2 (also where RNNLAB_PANELS_AVX2
 // asks for the AVX2 kernel on an AVX-512 CPU, so that one machine can test both), 0 if none.
  static int64_t panel_width() {
    if (!panels_wanted()) return 0;
    return have_avx512() && std::getenv("RNNLAB_PANELS_AVX2") == nullptr ? kPanelCols
                                                                          : kPanelColsAvx2;
  }

 private:
  static bool panels_wanted() {
    return (have_avx512() || have_avx2()) && std::getenv("RNNLAB_NO_PANEL_GEMM") == nullptr;
  }

  PanelWeight panels_;
  at::Tensor w_, buffer_;
  bool transposed_;
  int64_t m_, n_ = 0, k_ = 0;
  bool packed_ = false;
};

// The products' entries of every core's module: what runs here, and one product on its own
// (for tests/test_bptt_panel_gemm.py, which holds it against torch.mm).
inline void bind_products(pybind11::module& m) {
  m.def("packed_gemm", [] { return mkl_packed().ok; },
        "whether MKL's packed products are found (packed_gemm.h)");
  m.def("panel_width", [] { return PackedWeight::panel_width(); },
        "the panels' width in floats (32: AVX-512, 16: AVX2), 0 where they are not used");
  m.def("recurrent_gemm", [] { return std::string(PackedWeight::kind()); },
        "which product the float32 recurrent weights get: panels, mkl-packed or plain");
  m.def(
      "recurrent_mm",
      [](const at::Tensor& a, const at::Tensor& w, at::Tensor c, bool transposed, double beta,
         int64_t packed_rows) {
        TORCH_CHECK(a.scalar_type() == c.scalar_type() && a.scalar_type() == w.scalar_type(),
                    "recurrent_mm: one dtype for a, w and c");
        TORCH_CHECK(a.dim() == 2 && w.dim() == 2 && c.dim() == 2 && a.is_contiguous() &&
                        c.is_contiguous(), "recurrent_mm: 2-d a, w, c; a and c contiguous");
        const int64_t k = transposed ? w.size(1) : w.size(0);
        const int64_t n = transposed ? w.size(0) : w.size(1);
        TORCH_CHECK(a.size(1) == k && c.size(0) == a.size(0) && c.size(1) == n,
                    "recurrent_mm: a (m, k), op(w) (k, n) and c (m, n) do not fit");
        const PackedWeight packed(w, transposed, packed_rows);
        AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "rnnlab_recurrent_mm", [&] {
          packed.mm(a.data_ptr<scalar_t>(), a.stride(0), c.data_ptr<scalar_t>(), c.stride(0),
                    a.size(0), beta);
        });
        return c;
      },
      "c = a op(w) + beta c through PackedWeight (op(w) = w^T if transposed), packed for "
      "packed_rows rows; a and c row-major");
}

}  // namespace
