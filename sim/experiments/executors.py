"""Where runs execute: one ``concurrent.futures.Executor`` seam.

The runner only calls ``executor.submit(run_task, task)``, so anything that offers an
Executor plugs in:

* a local process pool (default; ``--workers N``, default all cores) started with the
  ``forkserver`` context, asked for explicitly: the process-wide start method is never
  changed (Mesa's ``batch_run`` changes it);
* a Dask distributed cluster (``--scheduler tcp://HOST:PORT``), through its client's
  executor;
* a local Dask cluster (``--dask-local N``): N worker processes on 127.0.0.1;
* this process (``--workers 0``): no pool, for debugging and as the benchmark's baseline.

Tasks are (scenario JSON, seed): results do not depend on where or in what order they run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import select
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sim.errors import SocsimError

__all__ = ["ExecutionPlan", "InlineExecutor", "open_executor", "local_executor", "local_pool", "available_cores", "START_METHOD"]

#: Start method of the local pool's own context (never the process-wide default).
START_METHOD = "forkserver"
_SCHEDULER = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?/?$")


def available_cores() -> int:
    """Cores this process may use (CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class InlineExecutor(Executor):
    """Runs each call at once in this process (``--workers 0``)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                future.set_exception(exc)
        return future


#: :meth:`ExecutionPlan.describe` in English and Chinese.
_WHERE = {"en": {"scheduler": "Dask cluster at {}", "dask_local": "local Dask cluster, {} worker processes",
                 "here": "this process", "pool": "local process pool, {} worker{}"},
          "zh": {"scheduler": "Dask 集群 {}", "dask_local": "本地 Dask 集群，{} 个工作进程",
                 "here": "本进程", "pool": "本地进程池，{} 个工作进程"}}


@dataclass(frozen=True)
class ExecutionPlan:
    """Which executor to open.

    Attributes
    ----------
    workers : int, optional
        Local worker processes (default: all cores, at most one per run); 0 runs in this process.
    scheduler : str, optional
        Address of a running Dask scheduler, ``tcp://HOST:PORT``.
    dask_local : int, optional
        Start a local Dask cluster with this many single-threaded worker processes.
    start_method : str, default 'forkserver'
        How a local pool starts its workers (:func:`local_executor`): 'fork' only when a job
        names a model class the workers could not import (one defined interactively); a
        fork copies whatever threads this process runs by then, with their locks.
    """

    workers: int | None = None
    scheduler: str | None = None
    dask_local: int | None = None
    start_method: str = START_METHOD

    def check(self) -> None:
        """Raise SocsimError if the options contradict each other or are out of range."""
        chosen = [name for name, v in (("--workers", self.workers), ("--scheduler", self.scheduler),
                                       ("--dask-local", self.dask_local)) if v is not None]
        if len(chosen) > 1:
            raise SocsimError(f"{' and '.join(chosen)}: choose one way to run (local pool, Dask scheduler or local Dask cluster)")
        if self.workers is not None and self.workers < 0:
            raise SocsimError(f"--workers {self.workers}: must be ≥ 0 (0 runs in this process)")
        if self.dask_local is not None and self.dask_local < 1:
            raise SocsimError(f"--dask-local {self.dask_local}: must be ≥ 1 worker")
        if self.scheduler is not None and not _SCHEDULER.match(self.scheduler):
            raise SocsimError(f"--scheduler {self.scheduler!r}: expected an address like tcp://10.0.0.5:8786")

    def describe(self, n_tasks: int, lang: str = "en") -> str:
        """Where ``n_tasks`` runs execute, in words (``lang``: en or zh, for a lesson's console)."""
        words = _WHERE[lang]
        if self.scheduler:
            return words["scheduler"].format(self.scheduler)
        if self.dask_local:
            return words["dask_local"].format(self.dask_local)
        if self.workers == 0:
            return words["here"]
        n = self._local_workers(n_tasks)
        return words["pool"].format(n, "s" if n > 1 else "")

    def window(self, n_tasks: int) -> int | None:
        """Runs to keep submitted: 1 in this process, twice the workers of a local pool, all for Dask."""
        if self.scheduler or self.dask_local:
            return None
        return 1 if self.workers == 0 else 2 * self._local_workers(n_tasks)

    def _local_workers(self, n_tasks: int) -> int:
        return max(1, min(self.workers or available_cores(), max(n_tasks, 1)))


def local_executor(workers: int, start_method: str = START_METHOD) -> ProcessPoolExecutor:
    """A process pool whose workers start with ``start_method`` ('forkserver' or 'fork').

    The context is passed to the pool; ``multiprocessing.set_start_method`` is never
    called. With 'forkserver' the socsim modules are preloaded in the fork server, so a
    worker starts without importing them again.
    """
    if start_method not in ("forkserver", "fork"):
        raise SocsimError(f"start method {start_method!r}: use 'forkserver' or 'fork'")
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        context.set_forkserver_preload(["sim.simulation", "sim.experiments.worker"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(),))


def _start_worker(command: int) -> None:
    """Workers leave Ctrl-C to the command, which stops the experiment and keeps what is stored;
    and they end when the command ends, however it ends (``kill -9`` included)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(command,), name="socsim-lifeline", daemon=True).start()


def _end_with(command: int) -> None:
    """Wait for process ``command`` to end, then end this process at once.

    A worker is the child of the fork server, not of the command, so the command's death
    sends it no signal; and a killed command leaves it blocked writing results nobody
    reads. A pidfd (Linux ≥ 5.3) wakes the moment the command ends; elsewhere its pid is
    polled every half second.
    """
    try:
        select.select([os.pidfd_open(command)], [], [])
    except (AttributeError, OSError):  # no pidfd here (or the command already gone: the poll says so)
        while _alive(command):
            time.sleep(0.5)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (the pid was reused: then we keep running)
        return True
    return True


@contextmanager
def open_executor(plan: ExecutionPlan, n_tasks: int = 1) -> Iterator[Executor]:
    """Open the executor of ``plan``; shut it down (and any cluster it started) on exit.

    Raises
    ------
    SocsimError
        Contradicting options, Dask missing, or a scheduler that cannot be reached.
    """
    plan.check()
    if plan.scheduler or plan.dask_local:
        with _dask_executor(plan) as executor:
            yield executor
        return
    if plan.workers == 0:
        yield InlineExecutor()
        return
    with local_pool(plan._local_workers(n_tasks), plan.start_method) as executor:
        yield executor


@contextmanager
def local_pool(workers: int, start_method: str = START_METHOD) -> Iterator[ProcessPoolExecutor]:
    """:func:`local_executor` as a context: on an error or Ctrl-C, queued work is cancelled.

    The workers ignore Ctrl-C (the parent handles it), so a plain ``with`` would wait for
    every queued run before the interrupt could end the command.
    """
    executor = local_executor(workers, start_method)
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


@contextmanager
def _dask_executor(plan: ExecutionPlan) -> Iterator[Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SocsimError("Dask is not installed; install it with: pip install 'socsim[dask]'") from None
    cluster = None
    try:
        if plan.dask_local:
            cluster = LocalCluster(n_workers=plan.dask_local, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            client = Client(plan.scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise SocsimError(f"cannot reach the Dask scheduler {plan.scheduler or 'of the local cluster'}: {exc}") from None
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
