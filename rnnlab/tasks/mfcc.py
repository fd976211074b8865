"""Mel-frequency cepstral coefficients (MFCCs) of a mono signal, in plain numpy.

Given samples x[n], n = 0 .. L-1, at a rate of r Hz, :func:`mfcc` computes, in order:

1. **Pre-emphasis**, which lifts the high frequencies that voiced speech is weak in::

       y[0] = x[0],    y[n] = x[n] - a x[n-1],    a = 0.97

2. **Framing** into frames of N = round(0.025 r) samples (25 ms) that start every
   H = round(0.010 r) samples (10 ms): a signal of L >= N samples gives
   T = 1 + (L - N) // H frames (a tail too short for a whole frame is dropped). Each frame is
   multiplied by a **Hamming window**::

       w[n] = 0.54 - 0.46 cos(2 pi n / (N - 1)),    n = 0 .. N-1

3. **Power spectrum** of each windowed frame, zero-padded to K points (K = the smallest power
   of two >= N; 256 at 8 kHz), with bin k at f_k = k r / K Hz::

       P[k] = |FFT_K(frame)[k]|^2 / K,    k = 0 .. K/2

4. **Mel filterbank**: M = 26 triangular filters whose edges are equally spaced on the mel
   scale from 0 Hz to r / 2::

       mel(f) = 2595 log10(1 + f / 700),    f(mel) = 700 (10^(mel / 2595) - 1)

   With edges e_0 < e_1 < ... < e_{M+1} (in Hz), filter m = 1 .. M rises from 0 at e_{m-1} to
   1 at e_m and falls back to 0 at e_{m+1}::

       F[m, k] = max(0, min((f_k - e_{m-1}) / (e_m - e_{m-1}),
                            (e_{m+1} - f_k) / (e_{m+1} - e_m)))

   and the filter energies are E[m] = sum_k F[m, k] P[k].

5. **Log** of the energies, floored so that silence gives a finite value rather than -inf::

       S[m] = ln(max(E[m], 1e-10))

6. **DCT-II** (orthonormal) of the M log energies, keeping coefficients c = 0 .. 12::

       C[c] = s_c sum_{m=0}^{M-1} S[m] cos(pi c (2m + 1) / (2M)),
       s_0 = sqrt(1 / M),  s_c = sqrt(2 / M) for c > 0

The result is (T, 13): one row of coefficients per frame. No liftering, no deltas, no
per-recording normalisation: the spoken-digits task standardises with training statistics.
"""

from __future__ import annotations

import numpy as np

PREEMPHASIS = 0.97  # a in y[n] = x[n] - a x[n-1]
FRAME_SECONDS = 0.025  # 25 ms frames
HOP_SECONDS = 0.010  # a frame starts every 10 ms
FILTERS = 26  # mel filters M
COEFFICIENTS = 13  # cepstral coefficients kept: c = 0 .. 12
LOG_FLOOR = 1e-10  # energies below this are taken as this before the log


def frame_sizes(rate: int) -> tuple[int, int]:
    """(N, H): samples per 25 ms frame and per 10 ms hop at ``rate`` Hz."""
    return round(FRAME_SECONDS * rate), round(HOP_SECONDS * rate)


def mel(f: np.ndarray | float) -> np.ndarray:
    """Hz to mel: 2595 log10(1 + f / 700)."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def hz(m: np.ndarray | float) -> np.ndarray:
    """Mel to Hz, the inverse of :func:`mel`: 700 (10^(m / 2595) - 1)."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def preemphasis(x: np.ndarray, a: float = PREEMPHASIS) -> np.ndarray:
    """y[0] = x[0], y[n] = x[n] - a x[n-1]."""
    return np.concatenate([x[:1], x[1:] - a * x[:-1]])


def frames(y: np.ndarray, length: int, hop: int) -> np.ndarray:
    """(T, length) overlapping frames of ``y``, T = 1 + (len(y) - length) // hop."""
    if len(y) < length:
        raise ValueError(f"a signal of {len(y)} samples is shorter than one frame ({length})")
    count = 1 + (len(y) - length) // hop
    starts = hop * np.arange(count)[:, None]  # (T, 1)
    return y[starts + np.arange(length)[None, :]]  # (T, length)


def hamming(length: int) -> np.ndarray:
    """w[n] = 0.54 - 0.46 cos(2 pi n / (N - 1)), n = 0 .. N-1."""
    n = np.arange(length)
    return 0.54 - 0.46 * np.cos(2.0 * np.pi * n / (length - 1))


def fft_size(length: int) -> int:
    """K: the smallest power of two >= the frame length (the FFT is fastest there)."""
    return 1 << (length - 1).bit_length()


def power_spectrum(windowed: np.ndarray, n_fft: int) -> np.ndarray:
    """(T, K/2 + 1): P[k] = |FFT_K(frame)[k]|^2 / K, each frame zero-padded to K points."""
    return np.abs(np.fft.rfft(windowed, n=n_fft, axis=-1)) ** 2 / n_fft


def mel_filterbank(n_filters: int, n_fft: int, rate: int) -> np.ndarray:
    """(M, K/2 + 1): triangular filters with edges equally spaced in mel from 0 to rate / 2."""
    edges = hz(np.linspace(0.0, mel(rate / 2.0), n_filters + 2))  # e_0 .. e_{M+1} in Hz
    f = np.arange(n_fft // 2 + 1) * rate / n_fft  # f_k, the frequency of bin k
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]  # (M, 1) each
    rising = (f - lower) / (centre - lower)
    falling = (upper - f) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) orthonormal DCT-II: D[c, m] = s_c cos(pi c (2m + 1) / (2 n_in))."""
    c = np.arange(n_out)[:, None]
    m = np.arange(n_in)[None, :]
    scale = np.where(c == 0, np.sqrt(1.0 / n_in), np.sqrt(2.0 / n_in))
    return scale * np.cos(np.pi * c * (2 * m + 1) / (2 * n_in))


def mfcc(signal: np.ndarray, rate: int, n_coefficients: int = COEFFICIENTS,
         n_filters: int = FILTERS) -> np.ndarray:
    """(T, n_coefficients) MFCCs of a 1-D ``signal`` at ``rate`` Hz (see the module docstring).

    ValueError for a signal that is not 1-D or shorter than one 25 ms frame.
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"signal must be 1-D (one channel), not of shape {x.shape}")
    length, hop = frame_sizes(rate)
    if length < 2 or hop < 1:
        raise ValueError(f"a rate of {rate} Hz is too low for 25 ms frames with a 10 ms hop")
    windowed = frames(preemphasis(x), length, hop) * hamming(length)  # (T, N)
    n_fft = fft_size(length)
    power = power_spectrum(windowed, n_fft)  # (T, K/2 + 1)
    energies = power @ mel_filterbank(n_filters, n_fft, rate).T  # (T, M)
    log_energies = np.log(np.maximum(energies, LOG_FLOOR))
    return log_energies @ dct_matrix(n_coefficients, n_filters).T  # (T, n_coefficients)
