"""`streamlit …` with a CPU sampler inside the server process (a py-spy without py-spy): every few milliseconds
the CPU time each thread used since the last sample (its own thread clock) is charged to the stack it is in.

    KPI_SAMPLER_OUT=/tmp/profile.txt python benchmarks/sampled_streamlit.py run dashboard.py [streamlit options]

SIGUSR2 clears what was counted (start of a phase); SIGUSR1 appends the counts since then to KPI_SAMPLER_OUT
under the title in KPI_SAMPLER_OUT + ".title" (end of a phase). Used by bench_dashboard's --server-profile.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

INTERVAL = 0.002
Frame = tuple[str, int, str]


class Sampler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.own: Counter[Frame] = Counter()
        self.total: Counter[Frame] = Counter()
        self.areas: Counter[str] = Counter()
        self.cpu = 0.0
        self.last: dict[int, float] = {}
        self.thread = threading.Thread(target=self._run, name="kpi-sampler", daemon=True)

    def _run(self) -> None:
        me = threading.get_ident()
        while True:
            time.sleep(INTERVAL)
            frames = sys._current_frames()
            with self.lock:
                for ident, frame in frames.items():
                    if ident == me:
                        continue
                    try:
                        used = time.clock_gettime(time.pthread_getcpuclockid(ident))
                    except (OSError, ValueError):
                        continue
                    spent = used - self.last.get(ident, used)
                    self.last[ident] = used
                    if spent <= 0:
                        continue
                    stack: list[Frame] = []
                    while frame is not None:
                        code = frame.f_code
                        stack.append((code.co_filename, code.co_firstlineno, code.co_name))
                        frame = frame.f_back
                    self.cpu += spent
                    self.own[stack[0]] += spent
                    for key in set(stack):
                        self.total[key] += spent
                    self.areas[area(stack)] += spent

    def clear(self, *_) -> None:
        with self.lock:
            self.own.clear()
            self.total.clear()
            self.areas.clear()
            self.cpu = 0.0

    def dump(self, *_) -> None:
        out = os.environ.get("KPI_SAMPLER_OUT")
        if not out:
            return
        title_file = Path(out + ".title")
        title = title_file.read_text(encoding="utf-8") if title_file.exists() else "phase"
        with self.lock:
            lines = [f"\n==== {title}: {self.cpu:.2f} CPU s sampled ====", "  by area (the innermost frame's package "
                     "deciding, this project's code counted where it calls in):"]
            lines += [f"    {seconds / max(self.cpu, 1e-9):6.1%}  {name}" for name, seconds in self.areas.most_common(14)]
            lines.append("  by function, own time:")
            lines += [f"    {seconds / max(self.cpu, 1e-9):6.1%}  {short(key)}" for key, seconds in self.own.most_common(25)]
            lines.append("  by function, including callees:")
            lines += [f"    {seconds / max(self.cpu, 1e-9):6.1%}  {short(key)}" for key, seconds in self.total.most_common(45)]
        with open(out, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


ROOT = str(Path(__file__).resolve().parents[1])


def short(key: Frame) -> str:
    filename, line, name = key
    for marker in ("site-packages/", "python3.11/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    else:
        filename = filename.replace(ROOT + "/", "")
    return f"{filename}:{line}({name})"


def area(stack: list[Frame]) -> str:
    """The library the thread is in (innermost), and the first of this project's modules above it."""
    inner = short(stack[0]).split("/", 1)[0].split(":", 1)[0]
    ours = next((short(frame).split(":", 1)[0] for frame in stack if frame[0].startswith(ROOT)
                 and "site-packages" not in frame[0] and "/benchmarks/" not in frame[0]), "")
    return f"{inner} ← {ours}" if ours else inner


def main() -> None:
    sampler = Sampler()
    signal.signal(signal.SIGUSR2, sampler.clear)
    signal.signal(signal.SIGUSR1, sampler.dump)
    sampler.thread.start()
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *sys.argv[1:]]
    streamlit_main()


if __name__ == "__main__":
    main()
