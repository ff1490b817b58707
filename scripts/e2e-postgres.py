#!/usr/bin/env python3
"""End-to-end on PostgreSQL: two `truyvet serve` on one database, crashes, and a standby for reads.

Starts a throwaway PostgreSQL cluster (scripts/pg, fsync on), then two servers on different ports and data directories
sharing the database and the keys (TRUYVET_DATA_KEY, TRUYVET_SIGNING_KEYS):
  - check-ins of the same people at the same venue spread over both, concurrently, some retried with the same
    idempotency key on the other server: every acknowledged visit is stored once, a retry answers with the first visit;
  - `kill -9` of one server, then `pg_ctl stop -m immediate` of PostgreSQL, during check-ins: after restarts, nothing
    acknowledged is lost;
  - a streaming standby (pg_basebackup -R) behind TRUYVET_DATABASE_READ_URL answers a tracer's contacts.
Prints 'e2e-postgres: N passed, N failed'."""
import base64, datetime, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/truyvet")
pg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pg")
work = tempfile.mkdtemp()
os.chmod(work, 0o755)  # the database server runs as another user
passed = failed = 0

def check(name, ok, detail=""):
    global passed, failed
    if ok: passed += 1; print("  ok   " + name)
    else: failed += 1; print("  FAIL " + name + (": " + detail if detail else ""))

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()

primary = os.path.join(work, "primary")
url = sh(pg, "start", primary)
admin = "tv_e2e-postgres-admin-token-00000000"
shared = dict(TRUYVET_DATABASE_URL=url, TRUYVET_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
              TRUYVET_SIGNING_KEYS="1:" + base64.b64encode(os.urandom(32)).decode(), TRUYVET_ADMIN_TOKEN=admin,
              TRUYVET_CHECKIN_RATE_LIMIT="0", TRUYVET_RETENTION_DAYS="0", TRUYVET_LOG_LEVEL="warning")

class Server:
    def __init__(self, name, **extra):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, **shared, **extra, TRUYVET_DATA_DIR=os.path.join(work, name), TRUYVET_PORT=str(self.port))
        self.start()
    def start(self):
        self.process = subprocess.Popen([binary, "serve"], env=self.env, stdout=open(os.path.join(work, self.name + ".log"), "a"),
                                        stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1); return
            except Exception:
                if self.process.poll() is not None: raise SystemExit(f"server {self.name} exited: see {work}/{self.name}.log")
                time.sleep(0.05)
        raise SystemExit(f"server {self.name} did not start")
    def kill(self):
        self.process.send_signal(signal.SIGKILL); self.process.wait()
    def stop(self):
        """SIGTERM; True when the server has exited within 30 s (no request left waiting on a lost query)."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30); return True
        except subprocess.TimeoutExpired:
            self.kill(); return False
    def call(self, method, path, body=None, token=None, timeout=5, raw=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if body is not None: headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

def psql(cluster, sql):
    port = open(os.path.join(cluster, "port")).read().strip()
    bin = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    return sh(f"/usr/lib/postgresql/{bin}/bin/psql", "-h", "127.0.0.1", "-p", port, "-U", "truyvet", "-d", "truyvet", "-qtAc", sql)

a, b = Server("a"), Server("b")
status, reg = a.call("POST", "/v1/venues", {"name": "Bến xe Bắc Kạn", "address": "x", "areaCode": "01843",
                                            "category": "passenger_transport", "contactPhone": "0912345678"})
venue, checkin_url = reg["venue"]["id"], reg["venue"]["checkinUrl"]
check("a venue registered on one server checks in on the other (shared signing keys)",
      b.call("POST", "/v1/checkins", {"token": checkin_url, "name": "Hành Khách", "phone": "0919000000"})[0] == 201)

# Check-ins of 40 people over both servers from 8 threads; every fourth is sent again, same key, to the other server.
acked, firsts, lock, stop = {}, {}, threading.Lock(), threading.Event()
mismatch = []
def sender(n):
    rnd, i = random.Random(n), 0
    while not stop.is_set():
        i += 1
        key = f"t{n}-{i}"
        body = {"token": checkin_url, "name": "Hành Khách", "phone": "0918%06d" % rnd.randrange(40), "idempotencyKey": key}
        servers = [a, b] if rnd.random() < 0.5 else [b, a]
        for attempt, server in enumerate(servers[:2 if i % 4 == 0 else 1]):
            try:
                status, reply = server.call("POST", "/v1/checkins", body, timeout=3)
            except Exception:
                continue  # not acknowledged: that server or the database may be down
            if status in (200, 201):
                with lock:
                    if key in acked and acked[key] != reply["visitId"]: mismatch.append(key)
                    acked.setdefault(key, reply["visitId"])
def run_until(n):
    while len(acked) < n: time.sleep(0.01)

threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
for t in threads: t.start()
run_until(400)
a.kill()                                     # one server dies mid-stream; the other goes on
seen = len(acked); run_until(seen + 200)
a.start()
run_until(len(acked) + 200)
subprocess.run([pg, "crash", primary], check=True)   # the database server loses power
time.sleep(0.5)
sh(pg, "start", primary)
deadline = time.time() + 60
before = len(acked)
while len(acked) < before + 200 and time.time() < deadline: time.sleep(0.05)
check("check-ins resume on both servers after the database restarts", len(acked) >= before + 200, f"{len(acked) - before} after restart")
stop.set()
for t in threads: t.join()

status, log = a.call("GET", f"/v1/venues/{venue}/visits", token=reg["managementToken"], timeout=30)
stored = [v["visitId"] for v in log["visits"]]
keys = int(psql(primary, "SELECT COUNT(*) FROM idempotency"))
lost = set(acked.values()) - set(stored)
print(f"e2e-postgres: {len(acked)} check-ins acknowledged (kill -9 of a server, immediate stop of PostgreSQL), "
      f"{len(stored)} visits stored, {len(lost)} lost")
check("every acknowledged check-in is stored", not lost, f"{len(lost)} lost")
check("a key retried on the other server is answered with the first visit", not mismatch, f"{mismatch[:5]}")
check("each visit stored once: one visit per idempotency key", len(stored) - 1 == keys, f"{len(stored) - 1} visits, {keys} keys")

# A streaming standby answers tracing reads.
standby = os.path.join(work, "standby")
standby_url = sh(pg, "standby", primary, standby)
c = Server("c", TRUYVET_DATABASE_READ_URL=standby_url)
status, tracer = a.call("POST", "/v1/tokens", {"role": "tracer", "label": "e2e tracer"}, token=admin)
tracer = tracer["token"]
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7)))
at = (now - datetime.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
fmt = lambda d: d.isoformat(timespec="seconds")
log = "venue_id,phone,name,id_number,checkin_at,checkout_at\n" + "".join(
    f"{venue},{phone},{name},,{fmt(at)},{fmt(at + datetime.timedelta(hours=1))}\n"
    for phone, name in [("0917111111", "Ca Bệnh"), ("0917222222", "Tiếp Xúc Một"), ("0917333333", "Tiếp Xúc Hai")])
status, report = c.call("POST", "/v1/visits/import", token=tracer, raw=log.encode())
check("the paper log imports through the third server", status == 200 and not report.get("rejected"), f"{status} {report}")
status, case = c.call("POST", "/v1/cases", {"phone": "0917111111", "areaCode": "01843", "sampleDate": (now - datetime.timedelta(days=1)).date().isoformat(),
                                            "confirmedAt": fmt(now)}, token=tracer)
check("a case registered through it (written to the primary)", status == 201, f"{status} {case}")
f1 = []
deadline = time.time() + 30
while time.time() < deadline:
    status, contacts = c.call("GET", f"/v1/cases/{case['id']}/contacts?degree=1&reason=standby%20check", token=tracer)
    f1 = sorted(x.get("phone", "") for x in (contacts or {}).get("contacts", []) if x.get("tier") == "F1")
    if len(f1) == 2: break
    time.sleep(0.2)
check("contacts read through the standby find both F1", len(f1) == 2, f"{status} {f1}")
check("the standby serves TruyVet's reads", int(psql(standby, "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'truyvet'")) > 0)
check("the standby is read-only (a hot standby)", psql(standby, "SELECT pg_is_in_recovery()") == "t")

for s in (a, b, c):
    check(f"server {s.name} stops on SIGTERM within 30 s (nothing left waiting after the crash)", s.stop())
subprocess.run([pg, "stop", standby]); subprocess.run([pg, "stop", primary])
subprocess.run(["rm", "-rf", work])
print(f"e2e-postgres: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
