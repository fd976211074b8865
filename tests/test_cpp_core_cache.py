"""Where the C++ cores are built: one cache folder per source text and torch, compiled from a
copy of the sources inside it, so that checkouts and venvs never rebuild each other's library
(torch's build file names the sources' paths and torch's own headers and libraries)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from rnnlab.bptt import cpp_core


def test_the_name_follows_the_source_and_torch(monkeypatch, tmp_path: Path) -> None:
    names = {core: cpp_core.module_name(core) for core in cpp_core.SOURCES}
    assert len(set(names.values())) == len(names)
    assert names["lstm"] == cpp_core.module_name("lstm")  # stable within a setup
    monkeypatch.setattr(torch, "__file__", str(tmp_path / "other-venv" / "torch" / "__init__.py"))
    assert cpp_core.module_name("lstm") != names["lstm"]


def test_sources_are_compiled_from_one_copy_in_the_cache(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "cache"))
    checkouts = []
    for name in ("one", "two"):  # two checkouts of the same text
        folder = tmp_path / name
        folder.mkdir()
        for path in (cpp_core.SOURCES["lstm"], *cpp_core.SHARED):
            (folder / path.name).write_bytes(path.read_bytes())
        checkouts.append(tuple(folder / p.name
                               for p in (cpp_core.SOURCES["lstm"], *cpp_core.SHARED)))
    first = cpp_core._stable_sources("rnnlab_x", checkouts[0])
    copy = Path(first[0])
    assert copy.parent.parent == tmp_path / "cache" / "rnnlab_x"
    assert copy.read_bytes() == checkouts[0][0].read_bytes()
    assert sorted(p.name for p in copy.parent.iterdir()) == sorted(p.name for p in checkouts[0])
    stamp = copy.stat().st_mtime_ns
    os.utime(copy, ns=(stamp - 10**9, stamp - 10**9))
    # the other checkout maps to the same files, and an equal copy is not rewritten (its mtime
    # would make ninja rebuild)
    assert cpp_core._stable_sources("rnnlab_x", checkouts[1]) == first
    assert copy.stat().st_mtime_ns == stamp - 10**9


def test_an_unwritable_cache_compiles_the_files_themselves(monkeypatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # the cache folder cannot be made under a file
    files = (cpp_core.SOURCES["gru"], *cpp_core.SHARED)
    monkeypatch.setattr(cpp_core, "_build_directory", lambda name: blocker / name)
    assert cpp_core._stable_sources("rnnlab_y", files) == [str(files[0])]
