"""`streamlit …` measuring itself: CPU seconds by thread (script runs, the event loop, …) and cProfile of the
script runs.

    KPI_SAMPLER_OUT=/tmp/profile.txt python benchmarks/sampled_streamlit.py run dashboard.py [streamlit options]

SIGUSR2 clears what was counted (start of a phase); SIGUSR1 appends the counts since then to KPI_SAMPLER_OUT
under the title in KPI_SAMPLER_OUT + ".title" (end of a phase), and writes the phase's cProfile statistics
beside it as KPI_SAMPLER_OUT.N.pstats (N counts the phases). Used by bench_dashboard's --server-profile.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path



class Sampler:
    """CPU seconds per thread (each thread's own clock: unbiased), and cProfile inside every script run. A sampler
    of stacks would be biased here: it can look only when it holds the GIL, i.e. where the others release it
    (socket writes, hashing of large strings), and would charge their time to those places."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.profiler = cProfile.Profile()
        self.start: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.ended: Counter[str] = Counter()  # CPU of the script runs of the phase
        self.clear()

    def _clocks(self) -> dict[int, float]:
        clocks = {}
        for thread in threading.enumerate():
            if thread.ident is None:
                continue
            try:
                clocks[thread.ident] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (OSError, ValueError):
                continue
            self.names[thread.ident] = kind(thread.name)
        return clocks

    def clear(self, *_) -> None:
        with self.lock:
            self.profiler = cProfile.Profile()
            self.ended.clear()
            self.start = self._clocks()

    def script_ran(self, used: float) -> None:
        with self.lock:
            self.ended[SCRIPT] += used

    def dump(self, *_) -> None:
        out = os.environ.get("KPI_SAMPLER_OUT")
        if not out:
            return
        title_file = Path(out + ".title")
        title = title_file.read_text(encoding="utf-8") if title_file.exists() else "phase"
        with self.lock:
            spent: Counter[str] = Counter(self.ended)
            for ident, used in self._clocks().items():
                if self.names[ident] != SCRIPT:  # counted run by run: a script thread may end within the phase
                    spent[self.names[ident]] += used - self.start.get(ident, 0.0)
            total = sum(spent.values())
            text = io.StringIO()
            stats = pstats.Stats(self.profiler, stream=text)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(ROOT, 40)
            # The app's own code runs from its copy's folder (server_cpu.app_folder), its ui/ and metrics/ linked.
            stats.sort_stats("cumulative").print_stats(OWN, 40)
            phases = len(list(Path(out).parent.glob(Path(out).name + ".*.pstats")))
            stats.dump_stats(f"{out}.{phases + 1}.pstats")  # for pstats/snakeviz: the phases in order
        lines = [f"\n==== {title}: {total:.2f} CPU s in the server's threads ===="]
        lines += [f"    {seconds / max(total, 1e-9):6.1%}  {seconds:6.2f} s  {name}" for name, seconds in spent.most_common()]
        lines.append("  cProfile of the script runs (deterministic; its overhead inflates Python-heavy code):")
        lines.append(text.getvalue())
        with open(out, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        Path(out + ".done").write_text(title, encoding="utf-8")


SCRIPT = "script runs (ScriptRunner threads)"


def kind(name: str) -> str:
    """Script threads are named per session; the event loop is the main thread."""
    if name.startswith("ScriptRunner"):
        return SCRIPT
    if name == "MainThread":
        return "event loop (MainThread: messages, WebSockets)"
    return name


ROOT = str(Path(__file__).resolve().parents[1])
OWN = r"/(ui|metrics|pages)/|dashboard\.py"


def main() -> None:
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    sampler = Sampler()
    original = ScriptRunner._run_script

    def profiled(runner, rerun_data):
        profiler = sampler.profiler
        started = time.thread_time()
        profiler.enable()
        try:
            return original(runner, rerun_data)
        finally:
            profiler.disable()
            sampler.script_ran(time.thread_time() - started)

    ScriptRunner._run_script = profiled
    signal.signal(signal.SIGUSR2, sampler.clear)
    signal.signal(signal.SIGUSR1, sampler.dump)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *sys.argv[1:]]
    streamlit_main()


if __name__ == "__main__":
    main()
