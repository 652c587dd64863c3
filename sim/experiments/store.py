"""The results store: one folder per experiment, one record per finished run.

Layout of ``<outputs.dir>/<name>-<digest8>/``::

    experiment.json        design digest, variants, points, seeds (the folder's identity)
    experiment.yaml        the experiment file as last run
    scenarios/*.yaml       the resolved scenario of each variant × point
    runs/<id>.json         one finished run: key, seed, seconds, KPIs, the series' checksum (the "done" mark)
    runs/<id>.parquet      its daily series
    runs/damaged/          runs found damaged on reopening (set aside with a warning, then run again)
    kpis.parquet, runs.csv one row per run, every KPI (written when the experiment ends)
    daily.parquet          every run's daily series, long by run
    summary.csv            mean, 95 % CI and paired difference per KPI (opens in Excel)

Each run is stored the moment it finishes, every file through a temporary file and
``os.replace`` (atomic), the ``.json`` last: a killed experiment loses only the runs in
flight, and a rerun skips every stored run. A folder belongs to one design digest: a
design that changed is refused there (:class:`ExperimentChangedError`), and by default
goes to a folder of its own, so old and new runs are never mixed. A lock file keeps two
processes from writing one folder at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import json
import math
import os
import warnings
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim import __version__
from sim.errors import OutputExistsError, SocsimError, SocsimWarning
from sim.files import confined, csv_cell, strict_json, writing

from .design import Design, RunKey
from .worker import RunRecord

__all__ = ["ResultsStore", "StoredRun", "ExperimentChangedError", "StoreBusyError", "default_folder", "earlier_versions",
           "atomic_write", "write_csv"]

MANIFEST = "experiment.json"


class ExperimentChangedError(SocsimError):
    """The folder holds runs of a different design (the experiment or a scenario changed)."""


class StoreBusyError(SocsimError):
    """Another process is writing this experiment folder."""


@dataclass(frozen=True)
class StoredRun:
    """A finished run as stored: key, seed, simulation seconds and flat KPIs."""

    key: RunKey
    seed: int
    seconds: float
    kpis: dict[str, float]


def default_folder(design: Design) -> Path:
    """``<outputs.dir>/<name>-<first 8 hex digits of the design digest>``."""
    return confined(design.out_dir, f"{design.name}-{design.digest[:8]}")


def earlier_versions(design: Design) -> list[Path]:
    """Folders of the same experiment name holding another design (kept apart, never mixed)."""
    here = default_folder(design)
    found = []
    for manifest in sorted(here.parent.glob(f"{design.name}-*/{MANIFEST}")):
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if old.get("name") == design.name and old.get("digest") != design.digest:
            found.append(manifest.parent)
    return found


def atomic_write(path: Path, write: Callable[[Path], Any]) -> Path:
    """Write ``path`` through a temporary file in the same folder and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")  # created with the user's umask
    with writing(path.parent):
        try:
            write(Path(tmp))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """CSV that Excel opens cleanly: UTF-8 with a byte-order mark, empty cells for NaN, no text run as a formula."""
    def write(tmp: Path) -> None:
        with tmp.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow([csv_cell(h) for h in header])
            for row in rows:
                w.writerow(["" if isinstance(v, float) and v != v else csv_cell(v) for v in row])
    return atomic_write(path, write)


@dataclass
class ResultsStore:
    """The folder of one experiment design; see the module docstring for its layout.

    Use :meth:`open`; close it (or use it as a context manager) to release the lock.
    """

    folder: Path
    design: Design
    _lock: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, design: Design, folder: Path | None = None) -> "ResultsStore":
        """Create the folder, or reopen it to resume.

        Raises
        ------
        ExperimentChangedError
            If ``folder`` holds runs of another design.
        StoreBusyError
            If another process has the folder open.
        """
        store = cls(Path(folder) if folder is not None else default_folder(design), design)
        if store.folder.is_dir() and any(store.folder.iterdir()) and not (store.folder / MANIFEST).exists():
            raise OutputExistsError(f"{store.folder}: exists and is not an experiment's results folder; "
                                    "choose a new or empty folder with --out (nothing is overwritten)",
                                    key="not_a_store", folder=store.folder)
        store.runs.mkdir(parents=True, exist_ok=True)
        store._acquire()
        try:
            store._check_identity()
            store._write_manifest()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def runs(self) -> Path:
        return self.folder / "runs"

    def _acquire(self) -> None:
        self._lock = (self.folder / ".lock").open("a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise StoreBusyError(f"{self.folder}: another socsim process is running this experiment; "
                                 "wait for it, or stop it (its finished runs are kept)", key="store_busy",
                                 folder=self.folder) from None
        for stale in [*self.runs.glob(".*.tmp"), *self.folder.glob(".*.tmp")]:  # a killed writer's temporary files
            stale.unlink(missing_ok=True)

    def _check_identity(self) -> None:
        manifest = self.folder / MANIFEST
        if not manifest.exists():
            return
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
            old.get("digest")
        except (OSError, ValueError, AttributeError):  # each run carries its own digest: the manifest is rewritten
            os.replace(manifest, self.folder / f"{MANIFEST}.damaged")
            warnings.warn(f"{manifest}: damaged; set aside as {MANIFEST}.damaged and written again (each stored run "
                          "is checked on its own)", SocsimWarning, stacklevel=3)
            return
        if old.get("digest") != self.design.digest:
            raise ExperimentChangedError(
                f"{self.folder}: holds runs of a different version of experiment {old.get('name', '?')!r} "
                f"(design {str(old.get('digest'))[:8]}, now {self.design.digest[:8]}); a scenario, variant, sweep or seed "
                f"changed. Runs are never mixed: leave out --out to use {default_folder(self.design)}, "
                "or choose another folder", key="store_changed", folder=self.folder, default=default_folder(self.design))

    def _write_manifest(self) -> None:
        d = self.design
        manifest = {
            "name": d.name, "digest": d.digest, "socsim_version": __version__, "source": d.source,
            "updated": dt.datetime.now().isoformat(timespec="seconds"), "seed": d.seed,
            "replications": d.replications, "seeds": f"replication r runs with seed {d.seed} + r in every variant",
            "variants": [{"name": v.name, "description": v.description, "changes": list(v.changes)} for v in d.variants],
            "axes": [a.__dict__ for a in d.axes],
            "points": [{"index": p.index, "label": p.label, "at": p.coords} for p in d.points],
            "cells": [{"variant": c.variant, "point": c.point, "digest": c.digest} for c in d.cells],
        }
        atomic_write(self.folder / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8"))
        atomic_write(self.folder / "experiment.yaml", lambda p: p.write_text(d.source_text, encoding="utf-8"))
        (self.folder / "scenarios").mkdir(exist_ok=True)
        for cell in d.cells:
            path = self.folder / "scenarios" / f"{cell.variant}.p{cell.point:03d}.yaml"
            text = yaml.safe_dump(cell.payload(), sort_keys=False, allow_unicode=True)
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):  # missing, or damaged since
                atomic_write(path, lambda p, t=text: p.write_text(t, encoding="utf-8"))

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def __enter__(self) -> "ResultsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ runs
    def record(self, rec: RunRecord) -> None:
        """Store one finished run: daily series first, then the JSON that marks it done."""
        base = self.runs / rec.key.id
        days = len(next(iter(rec.daily.values()))) if rec.daily else 0
        dates = [rec.start_date + dt.timedelta(days=t) for t in range(days)]
        table = pa.table({"day": np.arange(days, dtype=np.int32), "date": pa.array(dates, pa.date32()), **rec.daily})
        series = atomic_write(base.with_name(base.name + ".parquet"), lambda p: pq.write_table(table, p))
        meta = {"variant": rec.key.variant, "point": rec.key.point, "rep": rec.key.rep, "seed": rec.seed,
                "digest": rec.digest, "seconds": round(rec.seconds, 4), "start_date": rec.start_date.isoformat(),
                "kpis": rec.kpis, "parquet_sha256": _sha256(series)}
        atomic_write(base.with_name(base.name + ".json"), lambda p: p.write_text(strict_json(meta), encoding="utf-8"))

    def done(self) -> dict[RunKey, StoredRun]:
        """Stored runs that belong to the current design (matching cell digest and seed).

        A damaged run (its JSON unreadable, its daily series missing, truncated or not
        matching its checksum) is moved to ``runs/damaged/`` with a warning, and so runs again.
        """
        digests = {(c.variant, c.point): c.digest for c in self.design.cells}
        out = {}
        for path in self.runs.glob("*.json"):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
                key = RunKey(meta["variant"], int(meta["point"]), int(meta["rep"]))
                kpis = {k: math.nan if v is None else v for k, v in meta["kpis"].items()}  # null: not a number
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                self._set_aside(path, "its record is not readable JSON")
                continue
            if digests.get((key.variant, key.point)) != meta.get("digest") or meta.get("seed") != self.design.seed_of(key.rep):
                continue
            damage = _series_damage(self.runs / f"{key.id}.parquet", meta.get("parquet_sha256"))
            if damage:
                self._set_aside(path, damage)
                continue
            out[key] = StoredRun(key, meta["seed"], float(meta.get("seconds", 0.0)), kpis)
        return out

    def _set_aside(self, record: Path, why: str) -> None:
        """Move a damaged run's files to ``runs/damaged/`` (kept for a look, never read again) and warn."""
        aside = self.runs / "damaged"
        aside.mkdir(exist_ok=True)
        for path in (record, record.with_suffix(".parquet")):
            if path.exists():
                os.replace(path, aside / path.name)
        warnings.warn(f"{record.with_suffix('')}: stored run is damaged ({why}); moved to {aside} and run again",
                      SocsimWarning, stacklevel=3)

    def current(self) -> list[StoredRun]:
        """Stored runs of the current design and replications, in design order."""
        done = self.done()
        return [done[k] for k in self.design.keys() if k in done]

    def daily(self, key: RunKey, columns: Sequence[str]) -> dict[str, np.ndarray]:
        """Some daily series of one stored run (missing columns are left out)."""
        path = self.runs / f"{key.id}.parquet"
        present = [c for c in columns if c in pq.read_schema(path).names]
        table = pq.read_table(path, columns=present)
        return {c: table.column(c).to_numpy() for c in present}

    # ------------------------------------------------------------------ tables
    def write_tables(self) -> list[Path]:
        """``kpis.parquet``, ``runs.csv`` and ``daily.parquet`` from the stored runs of the design."""
        runs = self.current()
        labels = {p.index: p for p in self.design.points}
        axes = [a.name for a in self.design.axes]
        names = list(dict.fromkeys(k for r in runs for k in r.kpis))
        header = ["variant", "point", "point_label", *(f"at.{a}" for a in axes), "rep", "seed", "seconds", *names]
        rows = [[r.key.variant, r.key.point, labels[r.key.point].label, *(labels[r.key.point].coords.get(a) for a in axes),
                 r.key.rep, r.seed, r.seconds, *(r.kpis.get(n, float("nan")) for n in names)] for r in runs]
        columns = {h: [row[i] for row in rows] for i, h in enumerate(header)}
        kpi_table = pa.table({h: pa.array(v, pa.float64()) if h in names else _column(v) for h, v in columns.items()})
        files = [atomic_write(self.folder / "kpis.parquet", lambda p: pq.write_table(kpi_table, p)),
                 write_csv(self.folder / "runs.csv", header, rows)]
        return files + [self._write_daily(runs)]

    def _write_daily(self, runs: Sequence[StoredRun]) -> Path:
        tables = []
        for r in runs:
            t = pq.read_table(self.runs / f"{r.key.id}.parquet")
            n = t.num_rows
            t = t.add_column(0, "rep", pa.array([r.key.rep] * n, pa.int32()))
            t = t.add_column(0, "point", pa.array([r.key.point] * n, pa.int32()))
            t = t.add_column(0, "variant", pa.array([r.key.variant] * n, pa.string()))
            tables.append(t)
        table = pa.concat_tables(tables, promote_options="default") if tables else pa.table({})
        return atomic_write(self.folder / "daily.parquet", lambda p: pq.write_table(table, p))


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _series_damage(path: Path, checksum: str | None) -> str | None:
    """Why a run's daily series cannot be used (missing, changed, not Parquet), or None."""
    if not path.exists():
        return "its daily series file is missing"
    try:
        if checksum is not None:  # stores written before checksums: the Parquet footer is read instead
            return None if _sha256(path) == checksum else "its daily series does not match its checksum"
        pq.read_metadata(path)
    except (OSError, pa.ArrowException) as exc:
        return f"its daily series cannot be read: {exc}"
    return None


def _column(values: list) -> pa.Array:
    """A column of mixed coordinates stays readable: numbers as float, anything else as text."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) or v is None for v in values):
        return pa.array(values) if all(isinstance(v, int) for v in values) else pa.array(values, pa.float64())
    return pa.array([None if v is None else str(v) for v in values], pa.string())
