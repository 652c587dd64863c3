"""The kernel cache (sim/jit.py): one directory per version of the kernel sources, so a
change to a module a kernel reads from compiles it afresh; importing deletes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import sim.jit

PACKAGE = Path(sim.jit.__file__).parent

CODES = "from ..jit import njit\n\nCODE = {code}\n\n\n@njit\ndef code():\n    return CODE\n"
KERNEL = "from ..jit import njit\nfrom .codes import CODE\n\n\n@njit\ndef read_code():\n    return CODE\n"
RUN = ("import kpkg.sub.kernel as k, kpkg.jit as j; v = k.read_code(); s = k.read_code.stats; "
       "print(v, s.cache_hits and 'hit' or 'miss', j.CACHE_DIR.name)")


def _toy_package(root: Path, code: int) -> None:
    """kpkg: sim/jit.py, and a kernel reading a constant of another kernel module."""
    (root / "kpkg" / "sub").mkdir(parents=True, exist_ok=True)
    shutil.copy(PACKAGE / "jit.py", root / "kpkg" / "jit.py")
    (root / "kpkg" / "__init__.py").write_text("")
    (root / "kpkg" / "sub" / "__init__.py").write_text("")
    (root / "kpkg" / "sub" / "codes.py").write_text(CODES.format(code=code))
    (root / "kpkg" / "sub" / "kernel.py").write_text(KERNEL)


def _python(root: Path, code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    result = subprocess.run([sys.executable, "-B", "-c", code], cwd=root, env={**env, "PYTHONPATH": str(root)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_a_change_to_a_module_a_kernel_reads_compiles_it_afresh(tmp_path):
    _toy_package(tmp_path, 1)
    first = _python(tmp_path, RUN)
    assert first[:2] == ["1", "miss"] and _python(tmp_path, RUN) == ["1", "hit", first[2]]  # cached next time
    (tmp_path / "kpkg" / "sub" / "codes.py").write_text(CODES.format(code=2))  # the kernel's own file is unchanged
    changed = _python(tmp_path, RUN)
    assert changed[:2] == ["2", "miss"] and changed[2] != first[2]  # numba alone would have served the stale 1
    assert (tmp_path / "kpkg" / "__pycache__" / first[2]).is_dir()  # the earlier version's cache is kept …
    beside = tmp_path / "kpkg" / "sub" / "__pycache__" / "kernel.read_code-5.py311.nbi"  # the layout before
    beside.parent.mkdir(exist_ok=True)
    beside.write_text("old")
    dropped = _python(tmp_path, "import kpkg.jit as j; print(*[p.name for p in j.drop_stale_caches()])")
    assert dropped == [first[2], beside.name]  # … until asked
    assert not (tmp_path / "kpkg" / "__pycache__" / first[2]).exists() and not beside.exists()
    assert _python(tmp_path, RUN) == changed[:1] + ["hit"] + changed[2:]  # this version's cache is kept


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_importing_sim_touches_nothing_but_its_cache(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    legacy = tmp_path / "sim" / "__pycache__"
    legacy.mkdir()
    for name in ("model.step-1.py311.nbi", "kernels-0123456789abcdef/x.nbc", "kernels.stamp"):  # earlier caches
        (legacy / name).parent.mkdir(exist_ok=True)
        (legacy / name).write_text("old")
    before = _files(tmp_path)
    cache = _python(tmp_path, "import sim.model, sim.reference.engine, sim.jit as j; print(j.CACHE_DIR)")[0]
    after = _files(tmp_path)
    assert Path(cache).parent == legacy
    changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
    outside = {p for p in changed if not (tmp_path / p).is_relative_to(cache) and tmp_path / p != Path(cache)
               and tmp_path / p != legacy}
    assert not outside, sorted(outside)  # nothing deleted, nothing written outside the cache directory
