"""A closed-loop HTTP load generator: a fixed number of clients, each with one keep-alive connection.

Clients are threads spread over several processes (so the generator itself is not held to one core); each sends
its next request as soon as the last answer is read. Requests that start during the warm-up are not counted;
then, for `--duration` seconds, every answer's latency (request written to body read) and status are recorded.
Prints one line per run and, with --json, appends the same as JSON to a file.

    .venv/bin/python bench/load.py --base http://127.0.0.1:8766 --scenario cg-report --clients 16 --duration 30

Scenarios (see SCENARIOS below) read their tokens from var/bench/tokens.json and the report points from
var/bench/points.json (both written by bench/wo_data.py), or the helpdesk's from var/bench/helpdesk/bench.json.
No Django here: the generator stays light.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

VAR = Path(os.environ.get("CIVICGRID_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "bench"
Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- scenarios


class Scenario:
    """Makes the requests of one kind of client; `request(rng)` is called for every request."""

    def __init__(self, name: str) -> None:
        self.name = name

    def request(self, rng: random.Random, client: int) -> Request:
        raise NotImplementedError

    def answer(self, client: int, status: int, body: bytes) -> None:
        """What the last request of this client got back (for scenarios whose next step depends on it)."""


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


class CivicGridReport(Scenario):
    """A member of staff reports from a phone: a point in a grid, a type, a description, an idempotency key."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.token = _json(VAR / "tokens.json")["reporter"]
        data = _json(VAR / "points.json")
        self.points, self.types = data["points"], data["types"]

    def request(self, rng: random.Random, client: int) -> Request:
        lon, lat = rng.choice(self.points)
        kind = rng.choice(self.types)
        body = {
            "description": f"压测上报：{kind['name']}，位置附近，请尽快处理。",
            "incident_type": kind["code"],
            "lon": lon,
            "lat": lat,
            "address": f"测试路{rng.randint(1, 300)}号",
        }
        headers = {
            **_bearer(self.token),
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.UUID(int=rng.getrandbits(128)).hex,
        }
        return "POST", "/api/v1/workorders/reports", json.dumps(body, ensure_ascii=False).encode(), headers


class CivicGridList(Scenario):
    """A list of work orders with the filters people use, as a district operator or a street officer."""

    def __init__(self, name: str, who: str) -> None:
        super().__init__(name)
        self.token = _json(VAR / "tokens.json")[who]
        data = _json(VAR / "points.json")
        month = data["month"]  # a recent whole month: {"start": "2026-10-01", "end": "2026-10-31"}
        region = data["regions"][who]  # the street (district operator) or a community (street officer) to filter by
        self.queries = [
            {},
            {"open": "true"},
            {"status": "closed", "incident_type": "0401"},
            {"source": "hotline", "reported_from": month["start"], "reported_to": month["end"]},
            {"region": region, "overdue": "true"},
            {"region": region, "offset": "50"},
            {"incident_type": "0701", "reported_from": month["start"], "reported_to": month["end"]},
            {"supervised": "true", "open": "true"},
        ]

    def request(self, rng: random.Random, client: int) -> Request:
        query = {**rng.choice(self.queries), "limit": "50"}
        return "GET", f"/api/v1/workorders/?{urlencode(query)}", None, _bearer(self.token)


class CivicGridFigures(Scenario):
    """The district's figures for a month, grouped as the figures page offers."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.token = _json(VAR / "tokens.json")["admin"]
        self.month = _json(VAR / "points.json")["month"]

    def request(self, rng: random.Random, client: int) -> Request:
        group = rng.choice(["region", "department", "category", "source"])
        query = {"start": self.month["start"], "end": self.month["end"], "group_by": group}
        return "GET", f"/api/v1/figures/summary?{urlencode(query)}", None, _bearer(self.token)


class HelpdeskReport(Scenario):
    """django-helpdesk: a staff user files a ticket through its REST API (the same fields a report carries)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bench = _json(VAR / "helpdesk" / "bench.json")

    def request(self, rng: random.Random, client: int) -> Request:
        body = {
            "queue": rng.choice(self.bench["queues"]),
            "title": f"压测上报 {rng.randint(1, 10**6)}",
            "description": "压测上报：位置附近，请尽快处理。测试路12号",
            "submitter_email": "bench@example.org",
            "priority": 3,
        }
        headers = {
            "Authorization": self.bench["authorization"],
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        return "POST", "/api/tickets/", json.dumps(body, ensure_ascii=False).encode(), headers


class HelpdeskList(Scenario):
    """django-helpdesk: its ticket list API, newest first, filtered where its API allows it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bench = _json(VAR / "helpdesk" / "bench.json")

    def request(self, rng: random.Random, client: int) -> Request:
        query = rng.choice(self.bench["list_queries"])
        headers = {"Authorization": self.bench["authorization"], "Accept": "application/json"}
        return "GET", f"/api/tickets/?{urlencode(query)}", None, headers


class HelpdeskPage(Scenario):
    """django-helpdesk: the staff ticket list's data feed (server-side paging, the filters its saved queries keep)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bench = _json(VAR / "helpdesk" / "bench.json")

    def request(self, rng: random.Random, client: int) -> Request:
        query = rng.choice(self.bench["datatables"])
        headers = {"Authorization": self.bench["authorization"], "Accept": "application/json"}
        return "GET", f"/datatables_ticket_list/{query}?draw=1&start=0&length=50", None, headers


class HallTicket(Scenario):
    """A kiosk of the bench centre issues a ticket for a random group (a fresh Idempotency-Key per press)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bench = _json(VAR / "hall.json")

    def request(self, rng: random.Random, client: int) -> Request:
        body = json.dumps({"group": rng.choice(self.bench["groups"])}).encode()
        headers = {
            **_bearer(self.bench["kiosk"]),
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return "POST", f"/api/v1/hall/public/centres/{self.bench['centre']}/tickets", body, headers


class HallCall(Scenario):
    """A clerk at one counter of the bench centre (client n at counter n) calls the next ticket, then starts serving
    it; the next call finishes it (as at a real counter, a called ticket must be started, recalled or passed first)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bench = _json(VAR / "hall.json")
        self.called: dict[int, int] = {}  # client -> the ticket it called and has not started yet

    def request(self, rng: random.Random, client: int) -> Request:
        counter = self.bench["counters"][(client - 1) % len(self.bench["counters"])]
        headers = _bearer(counter["token"])
        ticket = self.called.get(client)
        if ticket:
            body = json.dumps({"action": "start"}).encode()
            headers["Content-Type"] = "application/json"
            return "POST", f"/api/v1/hall/tickets/{ticket}/actions", body, headers
        return "POST", f"/api/v1/hall/counters/{counter['id']}/call-next", b"", headers

    def answer(self, client: int, status: int, body: bytes) -> None:
        if client in self.called:
            del self.called[client]
        elif status == 200 and (ticket := json.loads(body).get("ticket")):
            self.called[client] = ticket["id"]


class HallMixed(Scenario):
    """Half the clients are kiosks issuing tickets, half are counters calling them."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.ticket, self.call = HallTicket(name), HallCall(name)

    def request(self, rng: random.Random, client: int) -> Request:
        return (self.ticket if client % 2 else self.call).request(rng, client // 2 + 1)

    def answer(self, client: int, status: int, body: bytes) -> None:
        if not client % 2:
            self.call.answer(client // 2 + 1, status, body)


class EvaluationSubmit(Scenario):
    """A satisfaction response (bench/evaluation_data.py): a resident on the open link (a new device each time), or a
    directed response sent over the API (the district administrator's token, who may survey every street; a new
    client_key each time), answers and streets drawn at random."""

    def __init__(self, name: str, who: str) -> None:
        super().__init__(name)
        self.who = who
        self.setup = _json(VAR / "evaluation.json")

    def request(self, rng: random.Random, client: int) -> Request:
        setup = self.setup
        group = rng.choice(["elderly", "adult"])
        answers = {code: rng.randint(3, 5) for code in setup["questions"][group]}
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.who == "online":
            body = {
                "street": rng.choice(setup["streets"]),
                "group": group,
                "answers": answers,
                "device_id": uuid.uuid4().hex,  # never one of an earlier run
                "duration": 150,
            }
            path = f"/api/v1/evaluation/public/online/{setup['online_key']}"
        else:
            body = {
                "street": rng.choice(setup["streets"]),
                "group": group,
                "answers": answers,
                "client_key": uuid.uuid4().hex,
                "duration": 150,
            }
            path = f"/api/v1/evaluation/campaigns/{setup['campaign']}/responses"
            headers = {**headers, **_bearer(setup["tokens"]["admin"])}
        return "POST", path, json.dumps(body, ensure_ascii=False).encode(), headers


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "ev-online": lambda: EvaluationSubmit("ev-online", "online"),
    "ev-surveyor": lambda: EvaluationSubmit("ev-surveyor", "surveyor"),
    "cg-report": lambda: CivicGridReport("cg-report"),
    "cg-list-district": lambda: CivicGridList("cg-list-district", "district"),
    "cg-list-street": lambda: CivicGridList("cg-list-street", "street"),
    "cg-figures": lambda: CivicGridFigures("cg-figures"),
    "hall-ticket": lambda: HallTicket("hall-ticket"),
    "hall-call": lambda: HallCall("hall-call"),
    "hall-mixed": lambda: HallMixed("hall-mixed"),
    "hd-report": lambda: HelpdeskReport("hd-report"),
    "hd-list": lambda: HelpdeskList("hd-list"),
    "hd-list-page": lambda: HelpdeskPage("hd-list-page"),
}


# ---------------------------------------------------------------- clients


def _client(
    base: str,
    scenario: Scenario,
    seed: int,
    start: float,
    warm: float,
    stop: float,
    out: list[tuple[float, int]],
    pause: float = 0.0,
) -> None:
    parts = urlsplit(base)
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
    time.sleep(max(0.0, start - time.time()))
    while True:
        began_wall = time.time()
        if began_wall >= stop:
            break
        method, path, body, headers = scenario.request(rng, seed)
        began = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            status = response.status
            scenario.answer(seed, status, answer)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        latency = time.perf_counter() - began
        if began_wall >= warm and time.time() <= stop:
            out.append((latency, status))
        if pause:  # a client that thinks between requests (a person), instead of a closed loop
            time.sleep(rng.uniform(0.5, 1.5) * pause)
    connection.close()


def _process(args: tuple[str, str, int, int, float, float, float, float]) -> list[tuple[float, int]]:
    base, name, clients, first_seed, start, warm, stop, pause = args
    scenario = SCENARIOS[name]()
    results: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=_client, args=(base, scenario, first_seed + i, start, warm, stop, results[i], pause))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [item for result in results for item in result]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(
    base: str, name: str, clients: int, processes: int, warmup: float, duration: float, pause: float = 0.0
) -> dict[str, Any]:
    load_before = _loadavg()
    start = time.time() + 1.5  # every process ready before the first request
    warm, stop = start + warmup, start + warmup + duration
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    seeds = [sum(shares[:i]) + 1 for i in range(processes)]
    jobs = [(base, name, n, seed, start, warm, stop, pause) for n, seed in zip(shares, seeds, strict=True) if n]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        samples = [item for part in pool.map(_process, jobs) for item in part]
    latencies = [latency * 1000 for latency, status in samples if 200 <= status < 300]
    statuses = Counter(status for _l, status in samples)
    return {
        "scenario": name,
        "clients": clients,
        "pause_s": pause,
        "processes": processes,
        "duration_s": duration,
        "requests": len(samples),
        "ok": len(latencies),
        "throughput_per_s": round(len(latencies) / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "statuses": dict(sorted(statuses.items())),
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        # the machine is shared: its load before and after says how quiet it was
        "load_before": load_before,
        "load_after": _loadavg(),
    }


def _loadavg() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8766")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--pause", type=float, default=0.0, help="mean seconds a client waits between requests")
    parser.add_argument("--label", default="", help="a note kept with the result (server, settings)")
    parser.add_argument("--json", type=Path, help="append the result as one JSON line to this file")
    options = parser.parse_args()
    result = run(
        options.base,
        options.scenario,
        options.clients,
        options.processes,
        options.warmup,
        options.duration,
        options.pause,
    )
    result["label"] = options.label
    print(
        f"{result['scenario']:<17} {options.label:<22} clients {result['clients']:>3}  "
        f"{result['throughput_per_s']:>7.1f}/s  p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  "
        f"p99 {result['p99_ms']} ms  statuses {result['statuses']}  "
        f"load {result['load_before']}→{result['load_after']}",
        flush=True,
    )
    if options.json:
        with options.json.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
