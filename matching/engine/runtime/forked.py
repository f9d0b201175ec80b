"""Forked helper processes for work that holds the GIL (POSIX; elsewhere all runs here).

Helpers are forked copies of this process: they read its memory as it was and send their
results back through pipes (widened on Linux), and the kernel ends them with the thread
that forked them (``prctl``, Linux).
"""

from __future__ import annotations

import ctypes
import fcntl
import multiprocessing as mp
import os
import resource
import signal
import threading
import traceback
from collections.abc import Sequence


def can_fork() -> bool:
    """Whether helpers can be forked here (a POSIX system)."""
    return hasattr(os, "fork")


class ForkedBatches:
    """``function(item)`` for each item, computed here and in ``helpers`` forked copies of
    this process, each taking the next item from a shared counter; results in item order.

    Forked helpers see this process's memory as it was (nothing is pickled to them), so
    work that holds the GIL can use several cores; each result is pickled back through a
    pipe. Helpers are forked on entering the ``with`` block: before the caller starts
    threads of its own. An item whose helper failed or died is computed here, so a lost
    helper costs time, never a result.

    Helpers are plain ``os.fork`` children, not ``multiprocessing`` processes: those may
    not be started from a daemonic process, and a Celery prefork worker's child is one.
    Multiprocessing refuses because a daemon's children would outlive it; a helper here
    is killed when the thread that forked it ends (Linux's parent-death signal), and
    only ever runs ``function`` before it exits without running this process's cleanup.

    After ``results()``: ``peak_private_mb``, the most memory a helper held of its own
    between items (pages it wrote or copied; those it shares with this process are
    counted here), and ``peak_rss_mb``, a helper's peak resident memory, shared pages
    included (an upper bound).
    """

    def __init__(self, function, items: Sequence, *, helpers: int) -> None:
        self._function = function
        self._items = items
        self._helpers = max(0, helpers) if can_fork() and len(items) > 1 else 0
        self._pids: list[int] = []
        self._running: set[int] = set()  # forked, not reaped
        self._readers: list[threading.Thread] = []
        self._found: dict[int, object] = {}
        self._failures: list[str] = []
        self.peak_private_mb = 0.0
        self.peak_rss_mb = 0.0

    def __enter__(self) -> ForkedBatches:
        if self._helpers:
            self._counter = mp.get_context("fork").Value("q", 0)
            parent = os.getpid()
            for _ in range(self._helpers):
                receive, send = mp.Pipe(duplex=False)
                _widen(send)
                pid = os.fork()
                if pid == 0:  # the helper
                    code = 1
                    try:
                        receive.close()
                        _die_with(parent)
                        _helper(self._function, self._items, self._counter, send)
                        code = 0
                    finally:
                        os._exit(code)
                send.close()
                self._pids.append(pid)
                self._running.add(pid)
                # Read as results come, or a helper would wait on a full pipe.
                reader = threading.Thread(target=self._read, args=(receive,), daemon=True)
                reader.start()
                self._readers.append(reader)
        return self

    def __exit__(self, *exc) -> None:
        # Helpers not reaped yet (the block ended on an error) are abandoned: an unreaped
        # child keeps its pid, so this signals no other process.
        for pid in self._running:
            os.kill(pid, signal.SIGKILL)
        self._wait()
        for reader in self._readers:
            reader.join()

    def results(self) -> list:
        """Every item's result, in order (this process works until the items run out)."""
        n = len(self._items)
        if not self._helpers:
            return [self._function(item) for item in self._items]
        found = {}
        while (i := _next_item(self._counter, n)) is not None:
            found[i] = self._function(self._items[i])
        for reader in self._readers:
            reader.join()
        self._wait()
        found.update(self._found)
        return [found[i] if i in found else self._function(self._items[i]) for i in range(n)]

    @property
    def helpers(self) -> int:
        """How many helper processes were forked."""
        return len(self._pids)

    def _wait(self) -> None:
        while self._running:
            pid = self._running.pop()
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # reaped by someone else (a SIGCHLD handler)

    @property
    def failures(self) -> list[str]:
        """What went wrong in helpers (their items were computed here instead)."""
        return list(self._failures)

    def _read(self, receive) -> None:
        try:
            while True:
                kind, i, value = receive.recv()
                if kind == "result":
                    self._found[i] = value
                elif kind == "done":
                    private, rss = value
                    self.peak_private_mb = max(self.peak_private_mb, private)
                    self.peak_rss_mb = max(self.peak_rss_mb, rss)
                    return
                else:
                    self._failures.append(value)
                    return
        except EOFError:
            self._failures.append("a helper process ended without finishing")
        finally:
            receive.close()


def _widen(connection) -> None:
    """Give a result pipe the largest buffer Linux allows (1 MB, not 64 kB): the reading
    thread needs the GIL back after each read, which the computing thread yields only
    every few milliseconds, so a 80 MB result took 0.7 s to cross, its helper idle."""
    try:
        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
    except (OSError, AttributeError):
        pass  # not Linux, or a lower limit: the default buffer works, slower


_PIPE_SIZE = 1 << 20


def _die_with(parent: int) -> None:
    """Have the kernel kill this helper when the thread that forked it ends (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it ended before the signal was set
        os._exit(1)


def _next_item(counter, n: int) -> int | None:
    with counter.get_lock():
        i = counter.value
        if i >= n:
            return None
        counter.value = i + 1
    return i


def _helper(function, items, counter, send) -> None:
    peak = 0.0
    try:
        while (i := _next_item(counter, len(items))) is not None:
            result = function(items[i])
            peak = max(peak, _private_mb())
            send.send(("result", i, result))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        send.send(("done", -1, (peak, rss)))
    except BaseException:
        send.send(("error", -1, traceback.format_exc()))
    finally:
        send.close()


def _private_mb() -> float:
    """Memory this process holds of its own (Linux; 0 where it cannot be read)."""
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            kb = sum(int(line.split()[1]) for line in rollup
                     if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        return 0.0
    return kb / 1024
