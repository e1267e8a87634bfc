#!/usr/bin/env python3
"""Doorman's benchmark: issue 9's performance targets, measured and judged in one run.

Starts one embedded PostgreSQL and Redis (Doorman's own stack, on loopback TCP so the seed can use
them too), the seed's server (../shared/reference/seed-python, in a virtualenv with psycopg2-binary,
redis and bcrypt from PyPI), three `doorman serve`s: on the Redis path (the default), with the
in-memory tier (--memory-cache) and on the PostgreSQL path (--no-cache), and bench/hello, a bare
Hummingbird 2 server answering a body of the size the memory tier answers (measured in this run): on /
it does nothing else (the memory tier's yardstick); on /bcrypt it first checks one bcrypt hash of cost
6 on a pool of one thread per core, as Doorman does (the yardstick of the bcrypt paths).
Every request logs the seed's john_doe (bcrypt cost 6) in.

It drives each server with wrk (closed loop) at 1, 8 and 64 connections, then each Doorman path and
both bench/hello routes at half the capacity wrk measured: wrk with bench/paced.lua, 64 connections that each wait
an exponentially distributed think time before every request, so that the arrivals approximate a
Poisson stream of R/2 requests/s (R = requests/s at 64 connections). hey's `-c 64 -q R/64`, which
issue 9 names as an example, ticks its 64 workers in phase: its load is a burst of 64 requests every
64/R s, whose drain time is all its p99 shows. It prints, per target of issue 9, the arithmetic and
whether it was met:

  - memory tier requests/s >= 70% of bench/hello's (64 connections, same wrk settings, same run);
  - Redis path >= 90% of cores / bcrypt (bcrypt cost 6 timed on this machine);
  - at 64 connections, p99 <= 1.5 x the mean on every path;
  - at half capacity, p99 <= 3 x the p50 at 1 connection on every path;
  - Redis path >= 4x the seed, memory tier >= 100x the seed; stack start-up; resident memory.

It measures; it asserts nothing (exit 0 with targets missed). Raw wrk outputs and a JSON
summary go to bench/results/<time>/ (git-ignored).

    make bench                            # builds Doorman and bench/hello in release, then this
    scripts/bench.py --quick              # short runs, to try it (numbers not for publishing)
    scripts/bench.py --duration 15 --write BENCHMARKS.md --readme
"""
import argparse
import base64
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOORMAN = os.path.join(ROOT, ".build", "release", "doorman")
HELLO = os.path.join(ROOT, "bench", "hello", ".build", "release", "hello")
PACED = os.path.join(ROOT, "bench", "paced.lua")
RESULTS = os.path.join(ROOT, "bench", "results")
README = os.path.join(ROOT, "README.md")
README_BEGIN, README_END = "<!-- bench:readme-table:begin -->", "<!-- bench:readme-table:end -->"
VENV = os.path.join(ROOT, ".build", "bench-venv")
SEED_CANDIDATES = [
    os.environ.get("DOORMAN_SEED_DIR", ""),
    os.path.join(ROOT, "..", "shared", "reference", "seed-python"),
    os.path.join(ROOT, "bench", "seed-python"),
]
USER, PASSWORD = "john_doe", "EXAMPLE_PASSWORD"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

SEED, REDIS, MEMORY, POSTGRES, HELLO_NAME = ("seed (Python)", "Doorman, Redis path", "Doorman, memory tier",
                                             "Doorman, PostgreSQL path", "bare Hummingbird (bench/hello)")
HELLO_BCRYPT = "bare Hummingbird + bcrypt (bench/hello /bcrypt)"
YARDSTICKS = (HELLO_NAME, HELLO_BCRYPT)  # what this machine allows a server that does (almost) nothing
PATHS = (REDIS, MEMORY, POSTGRES)  # the paths every latency target applies to
TARGET_CONNECTIONS = 64
BUSY_MACHINE = 0.9  # the parallel bcrypt loops below this share of cores / bcrypt: the machine was not quiet

# The targets of issue 9, in one place.
MEMORY_VS_HELLO = 0.70
REDIS_VS_CEILING = 0.90
P99_VS_MEAN = 1.5
HALF_P99_VS_P50_AT_1 = 3.0
REDIS_VS_SEED, MEMORY_VS_SEED = 4, 100


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def seed_directory():
    for candidate in SEED_CANDIDATES:
        if candidate and os.path.exists(os.path.join(candidate, "main.py")):
            return os.path.abspath(candidate)
    sys.exit("bench: the seed's Python app was not found; set DOORMAN_SEED_DIR to its directory")


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        log("creating a virtualenv for the seed (psycopg2-binary, redis, bcrypt)")
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    probe = subprocess.run([python, "-c", "import psycopg2, redis, bcrypt"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "psycopg2-binary", "redis", "bcrypt"], check=True)
    return python


def fetch(url, timeout=60):
    """The first 200 answer of url within timeout seconds, as raw bytes."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Authorization": AUTH})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return response.read()
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class RSSSampler(threading.Thread):
    """The largest resident set of a process while a run lasts."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.join()
        return self.peak


def parse_duration(text):
    """wrk's durations (850.00us, 4.80ms, 1.20s, 1.00m) in milliseconds."""
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


class Recorder:
    """Saves every raw tool output under bench/results/<time>/."""

    def __init__(self):
        self.directory = os.path.join(RESULTS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        os.makedirs(self.directory, exist_ok=True)

    def save(self, name, command, output):
        with open(os.path.join(self.directory, name), "w") as out:
            out.write("$ " + " ".join(command) + "\n" + output)


def wrk(recorder, name, url, connections, duration, pid):
    sampler = RSSSampler(pid)
    sampler.start()
    command = ["wrk", "-t", "1" if connections < 16 else "2", "-c", str(connections), "-d", f"{duration}s",
               "--timeout", "5s", "--latency", "-H", f"Authorization: {AUTH}", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    peak = sampler.stop()
    recorder.save(f"wrk-{slug(name)}-c{connections}.txt", command, output)
    return dict(parse_wrk(output), rss_mib=peak / 1024)


def paced(recorder, name, url, rate, duration, response_ms, connections=TARGET_CONNECTIONS):
    """About `rate` requests/s in all, as a Poisson-like stream: `connections` wrk connections, each
    waiting an exponential think time before every request (bench/paced.lua). A connection's cycle is
    its think time plus its response, so the think time's mean is connections / rate less the
    response time: guessed from `response_ms` (the mean at 1 connection), then corrected by a 3 s
    pilot run, since responses under load take longer."""
    def run(think_ms, seconds):
        command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s", "--latency",
                   "-s", PACED, "-H", f"Authorization: {AUTH}", url]
        output = subprocess.run(command, capture_output=True, text=True, check=True,
                                env=dict(os.environ, PACE_MS=f"{think_ms:.3f}")).stdout
        return [f"PACE_MS={think_ms:.3f}"] + command, output
    cycle_ms = 1000 * connections / rate
    think_ms = max(0.0, cycle_ms - response_ms)
    _, pilot = run(think_ms, 3)
    pilot_rps = parse_wrk(pilot)["rps"] or rate  # a pilot that got no answer keeps the first guess
    loaded_response_ms = 1000 * connections / pilot_rps - think_ms
    think_ms = max(0.0, cycle_ms - loaded_response_ms)
    command, output = run(think_ms, duration)
    recorder.save(f"paced-{slug(name)}.txt", command, output)
    return dict(parse_wrk(output), offered=rate, think_ms=think_ms, duration=duration)


def parse_wrk(output):
    """Requests/s, mean, p50, p99 (milliseconds) and errors from wrk's --latency report."""
    if os.environ.get("BENCH_VERBOSE"):
        log(output)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    # "    Latency     4.80ms    1.23ms  20.00ms   90.00%": mean, stdev, max over every request of the run.
    latency = re.search(r"^[ \t]+Latency[ \t]+([\d.]+\w+)[ \t]+([\d.]+\w+)[ \t]+([\d.]+\w+)", output, re.M)
    result["mean"] = parse_duration(latency.group(1)) if latency else float("nan")
    result["max"] = parse_duration(latency.group(3)) if latency else float("nan")
    for percentile in ("50", "99"):
        match = re.search(rf"^\s+{percentile}(?:\.000)?%\s+(\S+)", output, re.M)
        result[f"p{percentile}"] = parse_duration(match.group(1)) if match else float("nan")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = (sum(int(x) for x in errors.groups()) if errors else 0) + (int(non2xx.group(1)) if non2xx else 0)
    return result


def time_startup(environment, runs):
    """Seconds for `doorman stack up` on a new state directory, and again after `stack down`."""
    first, warm = [], []
    for _ in range(runs):
        state = tempfile.mkdtemp(prefix="doorman-bench-startup-", dir="/tmp")
        os.chmod(state, 0o755)
        try:
            for samples in (first, warm):
                start = time.monotonic()
                subprocess.run([DOORMAN, "stack", "up", "--state-dir", state], check=True, capture_output=True, env=environment)
                samples.append(time.monotonic() - start)
                subprocess.run([DOORMAN, "stack", "down", "--state-dir", state], check=True, capture_output=True, env=environment)
        finally:
            shutil.rmtree(state, ignore_errors=True)
    median = lambda values: sorted(values)[len(values) // 2]
    return {"first": median(first), "warm": median(warm), "runs": runs}


# libxcrypt's bcrypt (through Python's crypt module), the implementation Doorman calls.
BCRYPT_PROBE = ("import warnings; warnings.simplefilter('ignore'); import crypt, sys, time; "
                "h = crypt.crypt('EXAMPLE_PASSWORD', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=64)); n = int(sys.argv[1]); "
                "t = time.perf_counter(); [crypt.crypt('EXAMPLE_PASSWORD', h) for _ in range(n)]; "
                "print((time.perf_counter() - t) / n * 1000)")


def measure_bcrypt(python, checks):
    """Milliseconds of one libxcrypt bcrypt check of a cost-6 hash (the seed's users), alone; and the checks
    per second all cores manage together (one process per core at once), which is the real ceiling
    when the cores do not scale perfectly."""
    probe = [python, "-c", BCRYPT_PROBE, str(checks)]
    alone = float(subprocess.run(probe, capture_output=True, text=True, check=True).stdout)
    probes = [subprocess.Popen(probe, stdout=subprocess.PIPE, text=True) for _ in range(os.cpu_count())]
    together = sum(1000 / float(p.communicate()[0]) for p in probes)
    return alone, together


def serve_help_has(flag, environment):
    """Whether `doorman serve --help` lists flag (so a flag added by a later change is used once it exists)."""
    help_text = subprocess.run([DOORMAN, "serve", "--help"], capture_output=True, text=True, env=environment)
    return re.search(rf"(^|\s){re.escape(flag)}(\s|=|,|$)", help_text.stdout + help_text.stderr, re.M) is not None


def evaluate(results, half, seed_rps, ceiling, startup):
    """Issue 9's targets, each as (target, this run, met or None when not measured)."""
    at = lambda name, count: results.get((name, count))
    rows = []
    memory, hello_r = at(MEMORY, TARGET_CONNECTIONS), at(HELLO_NAME, TARGET_CONNECTIONS)
    if memory and hello_r:
        share = memory["rps"] / hello_r["rps"]
        rows.append((f"memory tier ≥ {MEMORY_VS_HELLO:.0%} of a bare Hummingbird server's requests/s (same body size, "
                     f"same wrk settings, {TARGET_CONNECTIONS} connections)",
                     f"{memory['rps']:.0f} / {hello_r['rps']:.0f} = {share:.0%}", share >= MEMORY_VS_HELLO))
    redis = at(REDIS, TARGET_CONNECTIONS)
    bcrypt_r = at(HELLO_BCRYPT, TARGET_CONNECTIONS)
    if redis:
        rows.append((f"Redis path ≥ {REDIS_VS_CEILING:.0%} of cores / bcrypt ({REDIS_VS_CEILING * ceiling:.0f} requests/s)",
                     f"{redis['rps']:.0f} requests/s ({redis['rps'] / ceiling:.0%} of {ceiling:.0f})"
                     + (f"; bare Hummingbird + bcrypt {bcrypt_r['rps']:.0f} ({bcrypt_r['rps'] / ceiling:.0%}), "
                        f"so the Redis path is {redis['rps'] / bcrypt_r['rps']:.0%} of it" if bcrypt_r else ""),
                     redis["rps"] >= REDIS_VS_CEILING * ceiling))

    # The bare servers under the same loads: what this machine allows a server that does (almost) nothing.
    # The memory tier is compared with bench/hello's /, the bcrypt paths with its /bcrypt.
    def yardstick(name):
        return HELLO_NAME if name == MEMORY else HELLO_BCRYPT

    def yardstick_mean(name):
        r = at(yardstick(name), TARGET_CONNECTIONS)
        return f"; {yardstick(name)} {r['p99'] / r['mean']:.2f} ×" if r else ""

    def yardstick_half(name):
        one, h = at(yardstick(name), 1), half.get(yardstick(name))
        return f"; {yardstick(name)} under the same load {h['p99'] / one['p50']:.1f} ×" if one and h else ""

    for name in PATHS:
        r = at(name, TARGET_CONNECTIONS)
        if r:
            rows.append((f"{name}: p99 ≤ {P99_VS_MEAN} × mean at {TARGET_CONNECTIONS} connections",
                         f"p99 {r['p99']:.1f} ms, mean {r['mean']:.1f} ms: {r['p99'] / r['mean']:.2f} ×" + yardstick_mean(name),
                         r["p99"] <= P99_VS_MEAN * r["mean"]))
    for name in PATHS:
        one, h = at(name, 1), half.get(name)
        if one and h:
            ok = h["errors"] == 0 and h["p99"] <= HALF_P99_VS_P50_AT_1 * one["p50"]
            rows.append((f"{name}: p99 at half capacity ≤ {HALF_P99_VS_P50_AT_1:g} × p50 at 1 connection",
                         f"p99 {h['p99']:.2f} ms at {h['rps']:.0f} requests/s (half of {2 * h['offered']:.0f}), "
                         f"p50 {one['p50']:.2f} ms at 1 connection: {h['p99'] / one['p50']:.1f} ×"
                         + (f", {h['errors']} errors" if h["errors"] else "")
                         + yardstick_half(name)
                         + ("; the load fell short of half capacity by more than 10%" if h["rps"] < 0.9 * h["offered"] else ""), ok))
    seed64 = seed_rps.get(TARGET_CONNECTIONS)
    if seed64 and redis:
        rows.append((f"Redis path ≥ {REDIS_VS_SEED}x the seed", f"{redis['rps'] / seed64:.1f}x", redis["rps"] >= REDIS_VS_SEED * seed64))
    if seed64 and memory:
        rows.append((f"memory tier ≥ {MEMORY_VS_SEED}x the seed", f"{memory['rps'] / seed64:.0f}x", memory["rps"] >= MEMORY_VS_SEED * seed64))
    if startup:
        rows.append(("stack start-up < 3 s first, < 1.5 s after", f"{startup['first']:.2f} s, {startup['warm']:.2f} s",
                     startup["first"] < 3 and startup["warm"] < 1.5))
    doorman_rss = [r["rss_mib"] for (n, c), r in results.items() if n in PATHS and c == TARGET_CONNECTIONS]
    if doorman_rss:
        rows.append((f"resident memory < 50 MB serving {TARGET_CONNECTIONS} connections", f"{max(doorman_rss):.0f} MiB at most",
                     max(doorman_rss) < 50))
    return rows


def ratio_text(value):
    return f"{value:.1f}x" if value < 20 else f"{value:.0f}x"


def readme_table(results, half, seed_rps, ceiling, command, stamp):
    """The README's short table (64 connections), written between its markers."""
    seed64 = seed_rps.get(TARGET_CONNECTIONS)
    hello_r = results.get((HELLO_NAME, TARGET_CONNECTIONS))
    lines = [f"| | requests/s | vs the seed | p99 | p99 / mean | p99 at half load (p50 at 1 connection) |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, label in [(SEED, "seed (Python)"), (REDIS, "Doorman, Redis path"), (MEMORY, "Doorman, in-memory tier"),
                        (POSTGRES, "Doorman, PostgreSQL path"), (HELLO_NAME, "bare Hummingbird (bench/hello)"),
                        (HELLO_BCRYPT, "bare Hummingbird + one bcrypt check (bench/hello /bcrypt)")]:
        r = results.get((name, TARGET_CONNECTIONS))
        if not r:
            continue
        versus = "1x" if name == SEED else "–" if name in YARDSTICKS or not seed64 else ratio_text(r["rps"] / seed64)
        if name in (REDIS, HELLO_BCRYPT):
            versus += f" ({r['rps'] / ceiling:.0%} of cores / bcrypt)"
        if name == MEMORY and hello_r:
            versus += f" ({r['rps'] / hello_r['rps']:.0%} of bare Hummingbird)"
        h, one = half.get(name), results.get((name, 1))
        loaded = f"{h['p99']:.2f} ms ({one['p50']:.2f} ms)" if h and one else "–"
        lines.append(f"| {label} | {r['rps']:,.0f} | {versus} | {r['p99']:.1f} ms | {r['p99'] / r['mean']:.2f} | {loaded} |")
    lines += ["", f"`{command}`, {stamp}."]
    return "\n".join(lines)


def rewrite_readme(table):
    with open(README) as f:
        text = f.read()
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        sys.exit(f"bench: README.md has no {README_BEGIN} … {README_END} markers around its benchmark table")
    text = text[:begin + len(README_BEGIN)] + "\n" + table + "\n" + text[end:]
    with open(README, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10; 3 with --quick)")
    parser.add_argument("--paced-duration", type=int, help="seconds per half-capacity run (default 15; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="short runs, to try the bench; the numbers are not for publishing")
    parser.add_argument("--connections", default="1,8,64",
                        help="comma-separated wrk connection counts (default 1,8,64; 1 and 64 are always run, the targets need them)")
    parser.add_argument("--write", metavar="FILE", help="also write the Markdown report to FILE (e.g. BENCHMARKS.md)")
    parser.add_argument("--readme", action="store_true",
                        help=f"rewrite README.md's benchmark table between {README_BEGIN} and {README_END}")
    parser.add_argument("--products", choices=["seed", "demo"], default="seed",
                        help="seed: the tutorial's 3 products, as the seed's own database had (default); "
                             "demo: Doorman's few hundred demo products")
    args = parser.parse_args()
    duration = args.duration or (3 if args.quick else 10)
    paced_duration = args.paced_duration or (5 if args.quick else 15)
    connections = sorted({int(c) for c in args.connections.split(",")} | {1, TARGET_CONNECTIONS})

    if not shutil.which("wrk"):
        sys.exit("bench: wrk is missing; run scripts/install-deps.sh --bench")
    if not os.path.exists(DOORMAN):
        sys.exit("bench: build first: swift build -c release")
    if not os.path.exists(HELLO):
        sys.exit("bench: build bench/hello first: swift build -c release --package-path bench/hello (make bench does)")
    python = ensure_venv()
    seed_dir = seed_directory()
    recorder = Recorder()
    log(f"raw outputs in {os.path.relpath(recorder.directory, ROOT)}")

    state = tempfile.mkdtemp(prefix="doorman-bench-", dir="/tmp")
    os.chmod(state, 0o755)
    environment = {k: v for k, v in os.environ.items() if not (k.startswith("PG") or k.startswith("DOORMAN_") or k in ("DATABASE_URL", "REDIS_URL"))}
    serve_flags = ["--no-rehash"] if serve_help_has("--no-rehash", environment) else []
    log("doorman serve " + ("has --no-rehash: passing it" if serve_flags else "has no --no-rehash"))
    processes, results, half = [], {}, {}
    try:
        up = subprocess.run([DOORMAN, "stack", "up", "--tcp", "--state-dir", state], capture_output=True, text=True, env=environment)
        if up.returncode != 0:
            sys.exit(f"bench: cannot start the stack: {up.stderr.strip()}")
        database_url = re.search(r"DATABASE_URL='([^']+)'", up.stdout).group(1)
        redis_url = re.search(r"REDIS_URL='([^']+)'", up.stdout).group(1)
        pg_port = int(re.search(r"PostgreSQL also on 127.0.0.1:(\d+)", up.stdout).group(1))
        redis_port = int(re.search(r"Redis also on 127.0.0.1:(\d+)", up.stdout).group(1))

        psql = shutil.which("psql")
        if not psql:
            sys.exit("bench: psql is needed (apt-get install postgresql-client)")
        if args.products == "seed":
            subprocess.run([psql, "-q", "-d", database_url, "-c", "DELETE FROM products WHERE product_id > 3"],
                           check=True, env=environment, capture_output=True)
        product_count = subprocess.run([psql, "-At", "-d", database_url, "-c", "SELECT count(*) FROM products"],
                                       check=True, env=environment, capture_output=True, text=True).stdout.strip()

        seed_port = free_port()
        seed_env = dict(environment, SEED_PG_HOST="127.0.0.1", SEED_PG_PORT=str(pg_port), SEED_PG_DB="doorman",
                        SEED_PG_USER="doorman", SEED_PG_PASS="", SEED_REDIS_HOST="127.0.0.1",
                        SEED_REDIS_PORT=str(redis_port), SEED_HTTP_PORT=str(seed_port))
        seed = subprocess.Popen([python, "main.py"], cwd=seed_dir, env=seed_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(seed)
        servers = [(SEED, f"http://127.0.0.1:{seed_port}/", seed.pid)]
        for name, flags in [(REDIS, []), (MEMORY, ["--memory-cache"]), (POSTGRES, ["--no-cache"])]:
            port = free_port()
            process = subprocess.Popen([DOORMAN, "serve", "--port", str(port), "--database-url", database_url,
                                        "--redis-url", redis_url, "--log-level", "warning"] + serve_flags + flags,
                                       env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(process)
            servers.append((name, f"http://127.0.0.1:{port}/", process.pid))

        expected = {SEED: "Redis Server", REDIS: "Redis Server", MEMORY: "Memory", POSTGRES: "PostgreSQL Server"}
        body_bytes = {}
        for name, url, _ in servers:
            first = json.loads(fetch(url))
            answer = fetch(url)
            second = json.loads(answer)
            body_bytes[name] = len(answer)
            log(f"{name}: first login {first['authenticated_by']}, then {second['authenticated_by']}; {len(answer)} bytes")
            assert second["authenticated_by"] == expected[name], f"{name} is not on its path"

        # The yardstick answers a body of the memory tier's size, as measured just now.
        hello_port = free_port()
        hello_process = subprocess.Popen([HELLO, str(hello_port), str(body_bytes[MEMORY])],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(hello_process)
        hello_url = f"http://127.0.0.1:{hello_port}/"
        body_bytes[HELLO_NAME] = len(fetch(hello_url))
        log(f"{HELLO_NAME}: {body_bytes[HELLO_NAME]} bytes")
        servers.append((HELLO_NAME, hello_url, hello_process.pid))
        bcrypt_url = hello_url + "bcrypt"
        body_bytes[HELLO_BCRYPT] = len(fetch(bcrypt_url))
        servers.append((HELLO_BCRYPT, bcrypt_url, hello_process.pid))

        for count in connections:
            for name, url, pid in servers:
                log(f"{name}: wrk, {count} connections, {duration} s")
                results[(name, count)] = wrk(recorder, name, url, count, duration, pid)

        for name, url, _ in servers:
            if name in PATHS or name in YARDSTICKS:
                rate = results[(name, TARGET_CONNECTIONS)]["rps"] / 2
                log(f"{name}: paced wrk, {TARGET_CONNECTIONS} connections, {rate:.0f} requests/s in all (half of wrk's), "
                    f"{paced_duration} s")
                half[name] = paced(recorder, name, url, rate, paced_duration, results[(name, 1)]["mean"])
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        subprocess.run([DOORMAN, "stack", "down", "--state-dir", state], capture_output=True, env=environment)
        shutil.rmtree(state, ignore_errors=True)

    startup = time_startup(environment, runs=1 if args.quick else 3)
    bcrypt_ms, bcrypt_parallel = measure_bcrypt(python, 60 if args.quick else 300)
    ceiling = os.cpu_count() / (bcrypt_ms / 1000)
    seed_rps = {count: r["rps"] for (name, count), r in results.items() if name == SEED}
    verdicts = evaluate(results, half, seed_rps, ceiling, startup)

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    command = " ".join(["scripts/bench.py"] + sys.argv[1:])
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()};",
        f"`{command}` (`make bench`)" + (", **--quick: short runs, not for publishing**" if args.quick else "") + ". "
        f"wrk runs last {duration} s, the half-capacity runs {paced_duration} s. "
        f"Every request logs {USER} in with Basic auth and returns all {product_count} products "
        f"({body_bytes[MEMORY]} bytes from the memory tier; bench/hello answers {body_bytes[HELLO_NAME]}); "
        "all servers run on the same embedded PostgreSQL and Redis"
        + (", and `doorman serve` got `--no-rehash`." if serve_flags else "."),
        "",
        "Closed loop (wrk, `-t 1` under 16 connections, `-t 2` from 16):",
        "",
        "| server | connections | requests/s | mean | p50 | p99 | p99 / mean | errors | peak RSS | requests/s vs seed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (name, count), r in results.items():
        ratio = f"{r['rps'] / seed_rps[count]:.2f}x" if seed_rps.get(count) else "–"
        lines.append(f"| {name} | {count} | {r['rps']:.0f} | {r['mean']:.2f} ms | {r['p50']:.2f} ms | {r['p99']:.2f} ms | "
                     f"{r['p99'] / r['mean']:.2f} | {r['errors']} | {r['rss_mib']:.0f} MiB | {ratio} |")
    lines += [
        "",
        f"At half capacity: wrk with bench/paced.lua, {TARGET_CONNECTIONS} connections, each waiting an exponentially "
        f"distributed think time (mean {TARGET_CONNECTIONS}/(R/2) less the response time a 3 s pilot run showed) before every request, "
        "so that the arrivals approximate a Poisson stream of R/2 requests/s (R = wrk's requests/s at "
        f"{TARGET_CONNECTIONS} connections). hey's `-c {TARGET_CONNECTIONS} -q R/{TARGET_CONNECTIONS}` is not used: its workers "
        f"tick in phase, a burst of {TARGET_CONNECTIONS} requests every {TARGET_CONNECTIONS}/R s.",
        "",
        "| server | intended requests/s | answered requests/s | mean | p50 | p99 | max | errors | p50 at 1 connection | p99 / that p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, h in half.items():
        one = results.get((name, 1))
        if one:
            lines.append(f"| {name} | {h['offered']:.0f} | {h['rps']:.0f} | {h['mean']:.2f} ms | {h['p50']:.2f} ms | "
                         f"{h['p99']:.2f} ms | {h['max']:.1f} ms | {h['errors']} | {one['p50']:.2f} ms | {h['p99'] / one['p50']:.1f} |")
    lines += [
        "",
        f"bcrypt cost 6 (the seed's users, checked by libxcrypt as Doorman does) takes {bcrypt_ms:.2f} ms here, so a path that "
        f"verifies bcrypt on every request can answer at most cores / bcrypt = {ceiling:.0f} requests/s; "
        f"{REDIS_VS_CEILING:.0%} of that is {REDIS_VS_CEILING * ceiling:.0f}. "
        f"Measured with one bcrypt loop per core at once, the cores manage {bcrypt_parallel:.0f} checks/s together"
        + (f" ({bcrypt_parallel / ceiling:.0%} of cores / bcrypt)." if bcrypt_parallel >= BUSY_MACHINE * ceiling else
           f": **only {bcrypt_parallel / ceiling:.0%} of cores / bcrypt, so something else was using the cores during "
           "this run; its numbers are not for publishing**."),
    ]
    bcrypt_r = results.get((HELLO_BCRYPT, TARGET_CONNECTIONS))
    if bcrypt_r:
        lines[-1] += (f" {HELLO_BCRYPT}, HTTP and one bcrypt check per request on one thread per core and nothing else, "
                      f"answers {bcrypt_r['rps']:.0f} requests/s at {TARGET_CONNECTIONS} connections "
                      f"({bcrypt_r['rps'] / ceiling:.0%} of cores / bcrypt): what is left of the cores for any such server "
                      "once wrk, the kernel and the HTTP work have theirs.")
    lines += [
        "",
        f"Embedded stack start-up (`doorman stack up` on a new state directory, then again after `stack down`): "
        f"first {startup['first']:.2f} s, warm {startup['warm']:.2f} s (median of {startup['runs']}).",
        "",
        "The seed's \"errors\" are mostly read errors: it answers HTTP/1.0 and closes every connection, "
        "which wrk counts when the close races its next request; at 64 connections its listen backlog of 5 "
        "also refuses or stalls connections (its p99).",
        "",
        "Against the targets of issue 9:",
        "",
        "| target | this run | |",
        "|---|---|---|",
    ]
    for target, measured, ok in verdicts:
        lines.append(f"| {target} | {measured} | {'met' if ok else '**not met**'} |")
    met = sum(1 for _, _, ok in verdicts if ok)
    lines += ["", f"{met} of {len(verdicts)} targets met."]
    report = "\n".join(lines)
    print(report)

    summary = {
        "command": command, "date": datetime.datetime.now().isoformat(timespec="seconds"), "quick": args.quick,
        "duration": duration, "paced_duration": paced_duration, "no_rehash": bool(serve_flags), "body_bytes": body_bytes,
        "wrk": [dict(server=n, connections=c, **r) for (n, c), r in results.items()],
        "half_capacity": [dict(server=n, **h) for n, h in half.items()],
        "bcrypt_ms": bcrypt_ms, "bcrypt_parallel_per_s": bcrypt_parallel, "ceiling_rps": ceiling, "startup": startup,
        "targets": [dict(target=t, measured=m, met=ok) for t, m, ok in verdicts],
    }
    with open(os.path.join(recorder.directory, "summary.json"), "w") as out:
        json.dump(summary, out, indent=2)
    with open(os.path.join(recorder.directory, "BENCHMARKS.md"), "w") as out:
        out.write("# Benchmarks\n\n" + report + "\n")
    if args.write:
        with open(args.write, "w") as out:
            out.write("# Benchmarks\n\n" + report + "\n")
        log(f"wrote {args.write}")
    if args.readme:
        rewrite_readme(readme_table(results, half, seed_rps, ceiling, command,
                                    f"{datetime.date.today().isoformat()}, {os.cpu_count()} cores"))
        log("rewrote README.md's benchmark table")


if __name__ == "__main__":
    main()
