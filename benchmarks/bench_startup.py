"""Time from `tuiflow STORE` to the first paint of its runs, as a person sees it.

Starts the explorer in a pseudo-terminal (80x24 unless told otherwise), reads what it
draws, and stops the clock when a text that only the loaded runs table shows (a run
name, `--expect`) has been drawn; then quits it with `q`. Whole processes, median of
`--repeat` runs (each after one untimed warm-up run that warms the OS page cache).

    python benchmarks/bench_startup.py --store sample_mlruns --expect rf-long-sweep
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

TIMEOUT_S = 60.0
ALT_SCREEN = b"\x1b[?1049h"  # what a full-screen app sends first


def _tuiflow() -> str:
    here = Path(sys.executable).parent / "tuiflow"
    return str(here) if here.exists() else (shutil.which("tuiflow") or "tuiflow")


def _peak_rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


PEAKS: list[float] = []  # peak resident memory (MiB) of each run, at its first paint


def first_paint(store: str, expect: str, cols: int, rows: int, env: dict[str, str]) -> float:
    """Seconds until `expect` appears on the terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become tuiflow
        os.execve(_tuiflow(), [_tuiflow(), store], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    start = time.perf_counter()
    seen = b""
    needle = expect.encode()
    on_screen = False  # the app took the terminal (a one-line error never does)

    def exited() -> RuntimeError:
        last = seen.decode(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
        return RuntimeError(f"tuiflow exited before drawing {expect!r}: {last[0].strip()}")

    try:
        while True:
            if time.perf_counter() - start > TIMEOUT_S:
                raise TimeoutError(f"{expect!r} not drawn within {TIMEOUT_S}s")
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                raise exited() from None
            if not chunk:
                raise exited()
            seen = (seen + chunk)[-65536:]
            on_screen = on_screen or ALT_SCREEN in seen
            if on_screen and needle in seen:
                took = time.perf_counter() - start
                PEAKS.append(_peak_rss_mib(pid))
                return took
    finally:
        try:
            os.write(fd, b"q")
            deadline = time.time() + 10
            while time.time() < deadline:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                select.select([fd], [], [], 0.05)
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
            else:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        finally:
            os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default="sample_mlruns")
    ap.add_argument("--expect", default="rf-long-sweep", help="text the first paint shows")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--size", default="80x24")
    ap.add_argument("--cold", action="store_true", help="empty TUIFLOW_CACHE_DIR before each run")
    ap.add_argument("--target", type=float, default=0.5, help="seconds, for the table")
    args = ap.parse_args()
    cols, rows = (int(x) for x in args.size.split("x"))
    env = {**os.environ, "TERM": os.environ.get("TERM", "xterm-256color")}
    cache = env.get("TUIFLOW_CACHE_DIR") or tempfile.mkdtemp(prefix="tuiflow-bench-cache-")
    env["TUIFLOW_CACHE_DIR"] = cache

    def one() -> float:
        if args.cold:
            shutil.rmtree(cache, ignore_errors=True)
        return first_paint(args.store, args.expect, cols, rows, env)

    try:
        one()  # warm-up, untimed (warms the OS page cache and, unless --cold, tuiflow's)
        PEAKS.clear()
        times = [one() for _ in range(args.repeat)]
    except (RuntimeError, TimeoutError) as exc:
        sys.exit(f"bench_startup: {exc}")
    label = "cold cache" if args.cold else "warm cache"
    print(
        f"| `tuiflow {args.store}` to first paint ({args.size}, {label}) | "
        f"{statistics.median(times):.3f} ({min(times):.3f}–{max(times):.3f}) | "
        f"≤ {args.target:g} s | peak RSS {max(PEAKS):.0f} MiB |"
    )


if __name__ == "__main__":
    main()
