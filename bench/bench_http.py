"""The reading path against bare baselines, measured from outside with wrk, side by side in one run (issue 17).

    python bench/bench_http.py            # or: just bench-http  [--duration 20 --connections 64]
    python bench/bench_http.py --ingest-only   # only GET chapter at 16 connections, idle vs ingesting

Starts embedded Postgres + Redis and the real service (`bookreader serve`, the limiter running but set high
enough never to reject), signs up a reader and ingests Moby-Dick; then starts, on the same database, a bare
ASGI app and a bare Litestar app on Granian (bench/http_baselines.py, one asyncpg query for the chapter row,
and BookReader's own position-write statement for the same reader and book). After a warm-up,
`wrk -t2 -c64 -d20s --latency` runs against each: GET chapter 37 (10 KB), GET book, PUT progress (Lua script),
GET /health; then GET chapter at 16 connections idle and while 5 MB books ingest back to back. Prints req/s,
p50, p99 and the ratios to the bare Litestar baseline (the chapter row read, issue 17's yardstick); PUT progress
also to the bare write (the same statement and durability: what is left is BookReader's own overhead).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.harness, from `python bench/<name>.py`

from tests.harness import REPO_ROOT, SHARED_BOOKS, random_email, running_service

from bookreader.core.embedded import free_port
from bookreader.domain.reading.service import sync_commit_mode
from bookreader.settings import load_settings

MOBY_DICK_NAME = Path("epub3") / "idpf-moby-dick.epub"
CHAPTER = 37
BENCH_DIR = Path(__file__).resolve().parent
PUT_SCRIPT = """
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{{"chapter":{chapter},"offset":%d,"percentage":12.5,"device":"wrk"}}', n)
  return wrk.format(nil, "{path}", nil, body)
end
"""


@dataclass
class Result:
    name: str
    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: int  # non-2xx/3xx + socket errors
    cpu_us: float = 0.0  # the server's own CPU time per request (user + system, all its processes)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of process group `pgid`: a figure that
    other load on the machine changes far less than req/s."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state, ppid, pgrp, …, utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def niced_cpu(root: int) -> dict[int, float]:
    """CPU seconds so far of each niced live descendant of `root` (the service's pool processes, in a
    session of their own or not) and of each niced Postgres backend (the pool's bulk writers)."""
    found: dict[int, tuple[int, int, float, bool]] = {}  # pid → (ppid, nice, CPU seconds, a backend)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        command = text[text.index("(") + 1 : text.rindex(")")]
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        found[int(stat.parent.name)] = (int(fields[1]), int(fields[16]), cpu, command == "postgres")
    tree = {root}
    for pid in sorted(found):  # a child's pid may be lower than its parent's: walk up instead
        chain, up = [], pid
        while up in found and up not in tree and up > 1:
            chain.append(up)
            up = found[up][0]
        if up in tree:
            tree.update(chain)
    return {
        pid: cpu for pid, (_, nice, cpu, backend) in found.items() if nice > 0 and (pid in tree or backend)
    }


def wrk(
    name: str,
    url: str,
    *,
    connections: int,
    duration: int,
    token: str = "",
    script: str = "",
    pgid: int = 0,
) -> Result:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    if script:
        command += ["-s", lua.name]
    cpu_before = group_cpu(pgid) if pgid else 0.0
    try:
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(lua.name)
    cpu = group_cpu(pgid) - cpu_before if pgid else 0.0
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if "50" not in latency:
        raise RuntimeError(f"wrk measured nothing on {url}:\n{out}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Result(
        name, rps, _ms(latency["50"]), _ms(latency["99"]), requests, errors, cpu * 1e6 / max(requests, 1)
    )


def moby_dick() -> tuple[str, bytes]:
    """The shared Moby-Dick (next to this checkout, or next to the main checkout when run from a git
    worktree), else a generated novel whose chapters are of the same size (~10 KB of JSON)."""
    common = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    candidates = [SHARED_BOOKS / MOBY_DICK_NAME]
    if common:
        candidates.append(Path(common).parent.parent / "shared" / "books" / MOBY_DICK_NAME)
    for path in candidates:
        if path.is_file():
            return path.name, path.read_bytes()
    from tests.books import novel_epub  # the generator the tests use

    print("Moby-Dick not found: a generated book of similar chapter size instead")
    return "generated-novel.epub", novel_epub(chapters=40, paragraphs=14, title="Bench Novel")


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def register(http: httpx.Client) -> tuple[str, str]:
    email, password = random_email(), "correct horse 1"
    http.post("/api/v1/auth/register", json={"email": email, "password": password}).raise_for_status()
    return email, password


def sign_in(http: httpx.Client, credentials: tuple[str, str]) -> str:
    email, password = credentials
    response = http.post("/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return response.json()["access_token"]


def wait_ready(http: httpx.Client, book_id: str, token: str, timeout: float = 1800) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        book = http.get(f"/api/v1/books/{book_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if book["status"] in ("ready", "failed"):
            return book
        time.sleep(0.5)
    raise TimeoutError(f"book {book_id} not ready in {timeout} s")


def upload(http: httpx.Client, token: str, name: str, data: bytes) -> str:
    response = http.post(
        "/api/v1/books", files={"file": (name, data)}, headers={"Authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return response.json()["id"]


def big_fb2(http: httpx.Client, token: str, book_id: str, chapters: int, size: int) -> bytes:
    """A ~`size`-byte FB2 of Moby-Dick's own chapters, repeated: real prose for the NLP stage."""
    headers = {"Authorization": f"Bearer {token}"}
    texts = [
        http.get(f"/api/v1/books/{book_id}/chapters/{n}", headers=headers).json()["text"]
        for n in range(1, chapters + 1)
    ]
    sections: list[str] = []
    total, round_ = 0, 0
    while total < size:
        round_ += 1
        for number, text in enumerate(texts, 1):
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n") if p.strip())
            section = f"<section><title><p>Part {round_}, chapter {number}</p></title>{paragraphs}</section>"
            sections.append(section)
            total += len(section.encode())
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<FictionBook xmlns="http://www.gribuser.ru/xml/fictionbook/2.0" xmlns:l="http://www.w3.org/1999/xlink">'
        "<description><title-info><genre>prose</genre><author><first-name>Herman</first-name>"
        "<last-name>Melville</last-name></author><book-title>Moby-Dick (bench copy {n})</book-title>"
        "<lang>en</lang></title-info></description>"
        f"<body>{''.join(sections)}</body></FictionBook>"
    )


class Ingest(threading.Thread):
    """Uploads the big book again and again (a fresh copy each time), each after the last one is ready."""

    def __init__(self, base_url: str, token: str, template: str) -> None:
        super().__init__(daemon=True)
        self.base_url, self.token, self.template = base_url, token, template
        self.stop_event = threading.Event()
        self.started_ingest = threading.Event()
        self.books = 0
        # (monotonic time, status) at each change: how far the ingest got while wrk ran
        self.seen: list[tuple[float, str]] = []

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base_url, timeout=120) as http:
            while not self.stop_event.is_set():
                data = self.template.replace("{n}", f"{time.time_ns()}").encode()
                book_id = upload(http, self.token, "moby-big.fb2", data)
                while not self.stop_event.is_set():
                    status = http.get(f"/api/v1/books/{book_id}", headers=headers).json()["status"]
                    if not self.seen or self.seen[-1][1] != status:
                        self.seen.append((time.monotonic(), status))
                    if status in ("parsing", "analyzing"):
                        self.started_ingest.set()
                    if status in ("ready", "failed"):
                        break
                    time.sleep(0.2)
                self.books += 1
                http.delete(f"/api/v1/books/{book_id}", headers=headers)


def loop_lag(http: httpx.Client) -> dict[float, float]:
    """The service's event-loop lag histogram (`bookreader_event_loop_lag_seconds`, cumulative buckets)."""
    text = http.get("/metrics").text
    found = re.findall(r'^bookreader_event_loop_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)
    return {float(le): float(count) for le, count in found}


def stalls(before: dict[float, float], after: dict[float, float]) -> str:
    """How often the loop ran a 5 ms timer late by more than 10, 20 and 50 ms between two scrapes, and the
    bucket of the longest lag: stalls of the loop itself, which wrk's p99 mixes with queueing for the cores."""
    if not before or not after:
        return "no loop-lag metric"
    bounds = sorted(after)
    total = after[bounds[-1]] - before[bounds[-1]]
    over = {b: total - (after[b] - before[b]) for b in bounds}
    worst = max([b for b in bounds if over[b] > 0], default=0.0)
    longest = ", none over 1 ms" if not worst else f", longest > {worst * 1000:g} ms"
    counts = ", ".join(f"{over[b]:.0f} > {b * 1000:g} ms" for b in (0.01, 0.02, 0.05))
    return f"{total:.0f} probes, {counts}{longest}"


def start_baseline(
    target: str, port: int, database_url: str, log: Path, sync_commit: str = "on"
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(BENCH_DIR),
        "SYNC_COMMIT": sync_commit,
    }
    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--no-ws", "--log-level", "warning", target]
    process = subprocess.Popen(
        command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{target} did not start; see {log}")


def print_table(results: list[Result], baseline: dict[str, Result], writes: dict[str, Result]) -> None:
    """`baseline`: each row's bare Litestar counterpart (the ratio column); `writes`: a second one, printed
    under the row (PUT progress vs the bare write)."""
    print(
        f"\n{'endpoint':58} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU µs/req':>10}"
        "  ratio to bare Litestar"
    )
    for r in results:
        base = baseline.get(r.name)
        ratio = f"{r.rps / base.rps:5.2f}× req/s, {r.p99 / base.p99:5.2f}× p99" if base else ""
        if base and base.cpu_us and r.cpu_us:
            ratio += f", {base.cpu_us / r.cpu_us:5.2f}× by CPU"
        print(f"{r.name:58} {r.rps:8.0f} {r.p50:8.1f} {r.p99:8.1f} {r.errors:7d} {r.cpu_us:10.0f}  {ratio}")
        if (write := writes.get(r.name)) is not None:
            ratio = f"{r.rps / write.rps:5.2f}× req/s, {r.p99 / write.p99:5.2f}× p99"
            if write.cpu_us and r.cpu_us:
                ratio += f", {write.cpu_us / r.cpu_us:5.2f}× by CPU"
            print(f"{'':58} {'':>45}  {ratio}  ← to the bare write")


def run(base_url: str, env: dict[str, str], args: argparse.Namespace, tmp: Path, pgid: int) -> None:
    http = httpx.Client(base_url=base_url, timeout=60)
    credentials = register(http)
    token = sign_in(http, credentials)
    user_id = http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).json()["id"]
    book_id = upload(http, token, *moby_dick())
    started = time.monotonic()
    book = wait_ready(http, book_id, token)
    print(
        f"Moby-Dick {book['status']} in {time.monotonic() - started:.0f} s, {book['chapter_count']} chapters"
    )
    size = len(
        http.get(
            f"/api/v1/books/{book_id}/chapters/{CHAPTER}", headers={"Authorization": f"Bearer {token}"}
        ).content
    )
    print(f"chapter {CHAPTER}: {size} bytes of JSON")
    template = big_fb2(http, token, book_id, book["chapter_count"], args.ingest_bytes)
    ports = {"asgi": free_port(), "litestar": free_port()}
    database_url, sync_commit = env["DATABASE_URL"], sync_commit_mode(load_settings(env))
    baselines = [
        start_baseline("http_baselines:asgi_app", ports["asgi"], database_url, tmp / "asgi.log"),
        start_baseline(
            "http_baselines:litestar_app", ports["litestar"], database_url, tmp / "litestar.log", sync_commit
        ),
    ]
    c, d = args.connections, args.duration
    print(f"load average (1, 5, 15 min) before the runs: {load_average()}")
    chapter_path = f"/api/v1/books/{book_id}/chapters/{CHAPTER}"
    bare = {k: f"http://127.0.0.1:{p}/chapters/{book_id}/{CHAPTER}" for k, p in ports.items()}
    bare_write = f"http://127.0.0.1:{ports['litestar']}/progress/{user_id}/{book_id}"
    bare_put = PUT_SCRIPT.format(chapter=CHAPTER, path=f"/progress/{user_id}/{book_id}")
    put = PUT_SCRIPT.format(chapter=CHAPTER, path=f"/api/v1/books/{book_id}/progress")
    try:
        results: list[Result] = []
        baseline: dict[str, Result] = {}
        writes: dict[str, Result] = {}
        if args.ingest_only:  # the one warm-up the 16-connection runs need
            wrk("warm-up", bare["litestar"], connections=c, duration=args.warmup)
            wrk("warm-up", base_url + chapter_path, connections=c, duration=args.warmup, token=token)
        else:
            for url, tok in ((bare["asgi"], ""), (bare["litestar"], ""), (base_url + chapter_path, token)):
                wrk("warm-up", url, connections=c, duration=args.warmup, token=tok)
            wrk("warm-up", bare_write, connections=c, duration=args.warmup, script=bare_put)
            wrk("warm-up", base_url + f"/api/v1/books/{book_id}/progress", connections=c, duration=args.warmup,
                token=token, script=put)  # fmt: skip
            wrk("warm-up", base_url + "/health", connections=c, duration=args.warmup)
        token = sign_in(http, credentials)  # a fresh access token, same reader (tokens live 15 min)
        for path in (chapter_path, f"/api/v1/books/{book_id}"):  # measure answers, not refusals
            http.get(path, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        asgi_pgid, litestar_pgid = (process.pid for process in baselines)
        if not args.ingest_only:
            b_asgi = wrk(
                "bare ASGI + asyncpg: chapter row", bare["asgi"], connections=c, duration=d, pgid=asgi_pgid
            )
            b_chapter = wrk(
                "bare Litestar + asyncpg: chapter row",
                bare["litestar"],
                connections=c,
                duration=d,
                pgid=litestar_pgid,
            )
            b_write = wrk(
                f"bare Litestar + asyncpg: position write (sync commit {sync_commit})",
                bare_write,
                connections=c,
                duration=d,
                script=bare_put,
                pgid=litestar_pgid,
            )
            b_health = wrk(
                "bare Litestar: /health",
                f"http://127.0.0.1:{ports['litestar']}/health",
                connections=c,
                duration=d,
                pgid=litestar_pgid,
            )
            results += [b_asgi, b_chapter, b_write, b_health]
            writes["BookReader PUT progress"] = b_write
            for name, path, script, base in (
                (f"BookReader GET chapter {CHAPTER}", chapter_path, "", b_chapter),
                ("BookReader GET book", f"/api/v1/books/{book_id}", "", b_chapter),
                ("BookReader PUT progress", f"/api/v1/books/{book_id}/progress", put, b_chapter),
                ("BookReader GET /health", "/health", "", b_health),
            ):
                result = wrk(
                    name, base_url + path, connections=c, duration=d, token=token, script=script, pgid=pgid
                )
                results.append(result)
                baseline[name] = base
        b16 = wrk(
            "bare Litestar: chapter row, 16 conn",
            bare["litestar"],
            connections=16,
            duration=d,
            pgid=litestar_pgid,
        )
        lag_idle = loop_lag(http)
        idle = wrk(
            "BookReader GET chapter, 16 conn, idle",
            base_url + chapter_path,
            connections=16,
            duration=d,
            token=token,
            pgid=pgid,
        )
        lag_stalls = {"idle": stalls(lag_idle, loop_lag(http))}
        results += [b16, idle]
        baseline[idle.name] = b16
        if args.ingest_bytes:
            ingest = Ingest(base_url, token, template)
            ingest.start()
            ingest.started_ingest.wait(300)
            lag_busy = loop_lag(http)
            busy_from, pool_before = time.monotonic(), niced_cpu(pgid)
            busy = wrk(
                f"BookReader GET chapter, 16 conn, {args.ingest_bytes // 1_000_000} MB books ingesting",
                base_url + chapter_path, connections=16, duration=d, token=token,
            )  # fmt: skip
            lag_stalls["ingesting"] = stalls(lag_busy, loop_lag(http))
            busy_to, pool_after = time.monotonic(), niced_cpu(pgid)
            pool_cpu = sum(cpu - pool_before.get(pid, 0.0) for pid, cpu in pool_after.items())
            ingest.stop_event.set()
            ingest.join(180)  # its last request ends before the service stops (else: ConnectError)
            results.append(busy)
            baseline[busy.name] = b16
        print_table(results, baseline, writes)
        print(f"\nload average (1, 5, 15 min) at the end: {load_average()}")
        if any(r.errors for r in results):
            print(
                "WARNING: some runs had errors (non-2xx/3xx or socket errors): their figures are not answers"
            )
        if args.ingest_bytes:
            print(f"\np99 while ingesting / idle p99 (16 conn): {busy.p99 / idle.p99:.2f}× (goal ≤ 1.5×)")
            # how far the ingest got and the CPU it had: a starved ingest would flatter the ratio
            steps = [f"{status} at {at - busy_from:+.0f} s" for at, status in ingest.seen if at <= busy_to]
            print(f"the ingest during the {d} s run (from its start): {', '.join(steps)}")
            print(
                f"CPU-s of the niced pool processes and bulk-writing backends still alive after it: {pool_cpu:.1f}"
            )
        for when, text in lag_stalls.items():
            print(f"event-loop lag of the service, 16 conn {when}: {text}")
    finally:
        for process in baselines:
            process.terminate()
            process.wait(10)
        http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--ingest-bytes", type=int, default=5_000_000, help="0 skips the ingest run")
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="only the 16-connection runs, idle and ingesting (issue 17's goal)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk (just bench-http installs it when run as root)")
    with running_service("bench-http-", BOOKREADER_RATE_LIMIT_GENERAL="100000000") as (service, env):
        logs = REPO_ROOT / ".data" / "bench-http"
        logs.mkdir(parents=True, exist_ok=True)
        assert service.process is not None
        run(service.base_url, env, args, logs, service.process.pid)  # its own session: pgid = pid


if __name__ == "__main__":
    main()
