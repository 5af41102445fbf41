"""Memory measurement shared by the benchmarks: current and peak resident memory, sampled per stage."""

from __future__ import annotations

import os
import resource
import sys
import threading


def peak_bytes() -> int:
    """Peak resident memory of this process so far (ru_maxrss)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def rss_bytes() -> int:
    """Current resident memory of this process (Linux /proc; the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_bytes()


class StagePeak:
    """Samples resident memory every 10 ms in a thread: the peak within each stage, not only overall."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self.start = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    def reset(self) -> None:
        self.peak = rss_bytes()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
