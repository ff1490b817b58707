#!/usr/bin/env python3
"""Durability: every check-in the server acknowledged survives `kill -9`.

Starts the server, streams check-ins from several threads, kills the server with SIGKILL mid-stream, restarts it on
the same data directory, and checks that every acknowledged visit is in the venue's log. Prints
'durability: N passed, N failed'."""
import json, os, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/debug/truyvet"
work = tempfile.mkdtemp()
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
base = f"http://127.0.0.1:{port}"
env = dict(os.environ, TRUYVET_DATA_DIR=work + "/data", TRUYVET_PORT=str(port), TRUYVET_CHECKIN_RATE_LIMIT="0",
           TRUYVET_ADMIN_TOKEN="tv_durability-admin-token-00000000")

def start():
    p = subprocess.Popen([binary, "serve"], env=env, stdout=open(work + "/log", "a"), stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1); return p
        except Exception:
            time.sleep(0.05)
    raise SystemExit("server did not start")

def post(path, body, token=None, timeout=5):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **({"Authorization": "Bearer " + token} if token else {})})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read())

server = start()
_, reg = post("/v1/venues", {"name": "Bến xe Bắc Kạn", "address": "x", "areaCode": "01843", "category": "passenger_transport",
                             "contactPhone": "0912345678"})
venue, token, url = reg["venue"]["id"], reg["managementToken"], reg["venue"]["checkinUrl"]

acknowledged, lock, stop = set(), threading.Lock(), threading.Event()
def sender(n):
    i = 0
    while not stop.is_set():
        i += 1
        try:
            status, body = post("/v1/checkins", {"token": url, "name": "Hành Khách", "phone": "09%02d%06d" % (n, i)}, timeout=2)
            if status in (200, 201):
                with lock: acknowledged.add(body["visitId"])
        except Exception:
            pass  # not acknowledged: the server may be gone
threads = [threading.Thread(target=sender, args=(n,)) for n in range(8)]
for t in threads: t.start()
while len(acknowledged) < 300: time.sleep(0.01)
server.send_signal(signal.SIGKILL)      # mid-stream
server.wait()
stop.set()
for t in threads: t.join()

server = start()
req = urllib.request.Request(f"{base}/v1/venues/{venue}/visits", headers={"Authorization": "Bearer " + token})
stored = {v["visitId"] for v in json.loads(urllib.request.urlopen(req).read())["visits"]}
server.terminate(); server.wait()
lost = acknowledged - stored
print(f"durability: {len(acknowledged)} check-ins acknowledged before kill -9, {len(stored)} stored after restart, {len(lost)} lost")
print(f"durability: {1 if not lost else 0} passed, {1 if lost else 0} failed")
sys.exit(1 if lost else 0)
