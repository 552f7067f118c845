"""A background print lays its sheets out only while this machine's other work is quiet.

SCHED_IDLE alone still let a print take ~65 % of a core while citizens were answering (the
survey leaves gaps between its requests) and cost them a quarter of their requests a second
(bench/print_load.py). So the job's layout runs in a child process that this one stops
(SIGSTOP) whenever the rest of the machine used more than a trickle of CPU in the last window,
and lets go on (SIGCONT) after a quiet window. Under a constant stream of citizens the print
waits; at a province's real rate (a few scans a second at most) it loses a window now and then.

Linux only (it reads /proc); elsewhere the layout runs in the child without pauses.
"""

import multiprocessing
import os
import signal
from collections.abc import Callable
from pathlib import Path

WINDOW = 0.1  # seconds: how long a decision holds; a page waits at most this for a pause
# CPU the rest of the machine may use in a window without the print stepping aside, in
# /proc's clock ticks (1/100 s): two ticks of 2 × 10 per window on two cores is ~10 % of one.
TRICKLE_TICKS = 2


def busy_ticks() -> int | None:
    """CPU time used on this machine since boot, all cores, in clock ticks (None: no /proc)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
    return user + nice + system + irq + softirq + steal


def process_ticks(pid: int) -> int:
    """CPU time of one process, in clock ticks (utime + stime of /proc/<pid>/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # after the command name, which may hold spaces
    return int(fields[11]) + int(fields[12])


def _child(conn, work: Callable, args: tuple) -> None:
    try:
        conn.send((True, work(*args)))
    except Exception as exc:  # handed to the parent, which raises it
        conn.send((False, exc))
    finally:
        conn.close()


def run_when_quiet(work: Callable, *args, window: float = WINDOW):
    """`work(*args)` in a child process that runs only while the machine is otherwise quiet;
    its result (picklable), or its exception raised here. `work` must be a module's function.
    """
    context = multiprocessing.get_context("spawn")  # no database connection inherited
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, work, args), daemon=True)
    child.start()
    send.close()
    stopped = False
    try:
        before = busy_ticks()
        ours = process_ticks(child.pid) + process_ticks(os.getpid()) if before is not None else 0
        while not receive.poll(window):
            if before is None:
                continue
            try:
                now = busy_ticks()
                mine = process_ticks(child.pid) + process_ticks(os.getpid())
            except OSError:  # the child has just ended: its result is in the pipe
                continue
            others = (now - before) - (mine - ours)
            before, ours = now, mine
            if others > TRICKLE_TICKS and not stopped:
                os.kill(child.pid, signal.SIGSTOP)
                stopped = True
            elif others <= TRICKLE_TICKS and stopped:
                os.kill(child.pid, signal.SIGCONT)
                stopped = False
        try:
            ok, value = receive.recv()
        except EOFError:
            raise RuntimeError(f"the layout process ended without a result "
                               f"(exit code {child.exitcode})") from None
    finally:
        if stopped and child.is_alive():
            os.kill(child.pid, signal.SIGCONT)
        receive.close()
    child.join()
    if not ok:
        raise value
    return value
