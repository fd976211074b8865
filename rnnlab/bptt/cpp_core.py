"""rnnlab's compiled C++ core: built on first use, cached, and optional.

:func:`core` returns the extension module compiled from one of the sources beside this file
(``core("lstm")``, the default: ``lstm_core.cpp``; ``core("gru")``: ``gru_core.cpp``;
``core("elman")``: ``elman_core.cpp``; each its own module, built on its first use) by
``torch.utils.cpp_extension.load``, or None where it cannot be had:

* ``RNNLAB_NO_CPP=1`` in the environment forces the pure-PyTorch path;
* no compiler, no ninja, or a failed build: one warning line of logger ``rnnlab`` (once per
  process and module) says so, and the pure-PyTorch path runs instead — same results, slower.

The build goes to torch's extension cache (``$TORCH_EXTENSIONS_DIR``, else
``~/.cache/torch_extensions``), under a name that carries a hash of the source, the flags
and torch's folder: a changed source or another venv builds anew and never overwrites
another one's build (torch's build file names the headers and libraries of one torch). It
compiles a copy of the sources kept in that folder (``src/``), not the files beside this
module, since the build file also names the sources' paths: two checkouts of the same text
on one venv would otherwise rewrite each other's build file and rebuild the library in turn,
under processes that may be loading it. Torch holds a lock file in that folder while it
builds, so two processes never build at once (the second waits, then loads the first one's
library); a lock older than ten minutes is one a killed build left behind, and is removed.
Flags: ``-O3`` and OpenMP (for ``at::parallel_for``), no ``-march=native`` and no
``-ffast-math``: the cache may be shared by machines with other CPUs, and the results must
match the Python path to float tolerance.

ninja: torch's loader calls ``ninja`` from ``PATH``; a venv that was not activated has the
pip package's binary (a base dependency) beside its Python, so that folder is put on PATH for
the build when ninja is not found otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import torch

log = logging.getLogger("rnnlab")

SOURCES = {name: Path(__file__).with_name(f"{name}_core.cpp")
           for name in ("lstm", "gru", "elman")}
# included by every core: in every hash
SHARED = tuple(Path(__file__).with_name(name)
               for name in ("cpu_math.h", "panel_gemm.h", "packed_gemm.h"))
CFLAGS = ("-O3", "-fno-trapping-math", "-fopenmp")
LDFLAGS = ("-fopenmp",)
STALE_SECONDS = 600  # a build takes about a minute; a lock older than this was left behind

# "lstm" | "gru" | "elman" -> the module, or None once it failed
_state: dict[str, ModuleType | None] = {}


def disabled() -> bool:
    """True when ``RNNLAB_NO_CPP`` asks for the pure-PyTorch path."""
    return os.environ.get("RNNLAB_NO_CPP", "") not in ("", "0")


def _ninja_folder() -> str | None:
    """A folder holding ``ninja`` to put on PATH, or None if PATH finds it already."""
    if shutil.which("ninja"):
        return None
    beside = Path(sys.executable).parent
    if (beside / "ninja").exists():
        return str(beside)
    try:
        import ninja  # the pip package
    except ImportError:
        return None
    return str(ninja.BIN_DIR)


def _clear_stale_lock(name: str) -> None:
    """Remove a build lock older than :data:`STALE_SECONDS`: a build killed midway (SIGKILL, a
    lost machine) leaves it behind, and torch's loader would wait for it forever."""
    folder = _build_directory(name)
    if folder is None:  # the loader's own wait stays
        return
    lock = folder / "lock"
    try:
        if lock.exists() and time.time() - lock.stat().st_mtime > STALE_SECONDS:
            log.info("rnnlab: removing the stale build lock %s", lock)
            lock.unlink(missing_ok=True)
    except OSError:
        return


def _build_directory(name: str) -> Path | None:
    """Torch's cache folder of the extension ``name``, or None if torch's helper moved."""
    try:
        from torch.utils.cpp_extension import _get_build_directory

        return Path(_get_build_directory(name, verbose=False))
    except Exception:  # a private torch helper
        return None


def _stable_sources(name: str, files: tuple[Path, ...]) -> list[str]:
    """Paths of copies of ``files`` in the extension's own cache folder, the same for every
    checkout, so that the build file torch writes does not change between checkouts. A copy
    is written only where it is missing or differs (via a temporary file and a rename, so a
    concurrent reader never sees half a file): rewriting an equal copy would change its mtime
    and make ninja rebuild. Falls back to the files themselves if the folder is unwritable."""
    folder = _build_directory(name)
    if folder is None:
        return [str(files[0])]
    src = folder / "src"
    try:
        src.mkdir(parents=True, exist_ok=True)
        for path in files:
            text = path.read_bytes()
            copy = src / path.name
            if copy.exists() and copy.read_bytes() == text:
                continue
            part = src / f".{path.name}.{os.getpid()}.part"
            part.write_bytes(text)
            os.replace(part, copy)
    except OSError as error:
        log.info("rnnlab: building from %s (no copy in the cache: %s)", files[0], error)
        return [str(files[0])]
    return [str(src / files[0].name)]


def module_name(core_name: str) -> str:
    """The cache name of core ``core_name``: ``rnnlab_<core>_core_<hash>``, the hash of its
    source, the shared headers, the flags and torch's folder (the build file names the
    headers and libraries of one torch, so two venvs sharing a name would rebuild it in turn)."""
    text = b"".join(path.read_bytes() for path in (SOURCES[core_name], *SHARED))
    setup = repr((CFLAGS, LDFLAGS, str(Path(torch.__file__).resolve().parent)))
    digest = hashlib.sha256(text + setup.encode()).hexdigest()[:12]
    return f"rnnlab_{core_name}_core_{digest}"


def _build(core_name: str = "lstm") -> ModuleType:
    """Compile (or load from the cache) the module of ``SOURCES[core_name]``."""
    from torch.utils.cpp_extension import load

    source = SOURCES[core_name]
    name = module_name(core_name)
    _clear_stale_lock(name)
    sources = _stable_sources(name, (source, *SHARED))
    folder = _ninja_folder()
    old_path = os.environ.get("PATH", "")
    if folder:
        os.environ["PATH"] = folder + os.pathsep + old_path
    # torch's loader warns on its own about an unusual compiler; a failure is said once, below
    torch_log = logging.getLogger("torch.utils.cpp_extension")
    old_level = torch_log.level
    torch_log.setLevel(logging.ERROR)
    try:
        return load(name=name, sources=sources,
                    extra_cflags=list(CFLAGS), extra_ldflags=list(LDFLAGS), verbose=False)
    finally:
        torch_log.setLevel(old_level)
        if folder:
            os.environ["PATH"] = old_path


def _reason(error: Exception) -> str:
    """The telling line of a failed build: the compiler's error or what was not found."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    telling = [line for line in lines if any(
        word in line.lower() for word in ("error:", "not found", "no such file", "required"))]
    line = (telling or lines or [""])[0]
    return f"{type(error).__name__}: {line[:200]}"


def core(name: str = "lstm") -> ModuleType | None:
    """The compiled core ``name`` (a key of :data:`SOURCES`: ``"lstm"``, ``"gru"``,
    ``"elman"``), built on its first call in the process; None if it is off or cannot be built
    (then a single warning per module says why)."""
    if disabled():
        return None
    if name not in _state:
        try:
            _state[name] = _build(name)
        except Exception as error:  # no compiler, no ninja, a failed build: all the same here
            log.warning("rnnlab: the C++ core could not be built (%s, %s); using the "
                        "pure-PyTorch path (same results, slower)", SOURCES[name].name,
                        _reason(error))
            _state[name] = None
    return _state[name]


DTYPES = (torch.float32, torch.float64)  # what the cores are compiled for


def runs(name: str, device: torch.device, dtype: torch.dtype | None, in_loop_masks: bool) -> bool:
    """Whether core ``name``'s loops run on tensors of ``device`` and ``dtype`` (None: they do
    not share one): the CPU, float32/float64, no in-loop regulariser masks (recurrent dropout
    on h, zoneout: only the Python loops apply them), outside CPU autocast (whose casts the
    Python path makes), and the core built. The one rule behind each family's ``covers``."""
    if device.type != "cpu" or dtype not in DTYPES:
        return False
    if in_loop_masks or torch.is_autocast_enabled("cpu"):
        return False
    return core(name) is not None


def runs_on(name: str, tensors: list[torch.Tensor], in_loop_masks: bool) -> bool:
    """:func:`runs` for the tensors of one call: every one on the CPU and of one dtype."""
    dtype = tensors[0].dtype if all(t.dtype == tensors[0].dtype for t in tensors) else None
    on_cpu = all(t.device.type == "cpu" for t in tensors)
    return runs(name, torch.device("cpu" if on_cpu else "meta"), dtype, in_loop_masks)
