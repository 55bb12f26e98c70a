"""Where the CPU of a load run goes: runs a command (the load generator) and prints the CPU seconds that the web
server, PostgreSQL, the generator itself and everything else used meanwhile, read from /proc (Linux).

    .venv/bin/python bench/cpu.py -- wrk -t2 -c20 -d20s -s bench/hall_ticket.lua http://127.0.0.1:8767 -- ...

With --per N (the requests the run served, or `auto` to take them from the JSON line the command prints last) it
also prints milliseconds of CPU per request for each. With --json FILE the shares are appended to that file.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _kind(pid: str) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
    if "gunicorn" in command or "granian" in command:
        return "web"
    if command.startswith("postgres"):
        return "postgresql"
    return "other"


def snapshot() -> dict[str, tuple[str, float]]:
    """CPU seconds used so far by each live process: {pid: (kind, seconds)}."""
    used: dict[str, tuple[str, float]] = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = _kind(pid)
        if kind:
            used[pid] = (kind, (int(fields[11]) + int(fields[12])) / TICK)  # utime, stime
    return used


def spent(before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]]) -> Counter[str]:
    """CPU seconds by kind between two snapshots. A process that ended meanwhile (a database connection closed by
    its age) is left out, so the figures are a lower bound; one that started meanwhile counts in full."""
    used: Counter[str] = Counter()
    for pid, (kind, seconds) in after.items():
        used[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per", default="", help="requests served, or `auto` (the command's last JSON line)")
    parser.add_argument("--json", type=Path, help="append the shares as one JSON line to this file")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    before, wall = snapshot(), time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - wall
    after = snapshot()
    mine = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stdout.write(run.stdout)
    by_kind = spent(before, after)
    used = {kind: by_kind[kind] for kind in ("web", "postgresql", "other")}
    used["generator"] = (mine.ru_utime + mine.ru_stime) - (children.ru_utime + children.ru_stime)
    requests = 0
    if options.per == "auto":
        last = [line for line in run.stdout.splitlines() if line.startswith("{")]
        requests = json.loads(last[-1])["requests"] if last else 0
    elif options.per:
        requests = int(options.per)
    shares = {kind: round(seconds, 2) for kind, seconds in used.items()}
    line = f"CPU seconds over {wall:.1f} s on {os.cpu_count()} cores: " + ", ".join(
        f"{kind} {seconds:.1f}" for kind, seconds in shares.items()
    )
    if requests:
        per = {kind: round(seconds / requests * 1000, 2) for kind, seconds in used.items()}
        line += "; ms per request: " + ", ".join(f"{kind} {ms:.2f}" for kind, ms in per.items())
        line += f" (total {sum(per.values()):.2f})"
        shares |= {f"{kind}_ms_per_request": ms for kind, ms in per.items()}
    print(line)
    if options.json:
        with options.json.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"cpu_seconds": shares, "wall": round(wall, 1), "requests": requests}) + "\n")
    sys.exit(run.returncode)


if __name__ == "__main__":
    main()
