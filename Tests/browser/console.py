"""The web console in a real browser (headless Chromium through Selenium), against a real server.

Usage: console.py TRUYVET_BIN DATA_DIR PORT SCREENSHOT_DIR. It starts and stops the server itself: under faketime
to be "the next day" and to step through door-screen codes (the server's whole clock moves, nothing in the product
is made for tests). Prints "ok   NAME" or "FAIL NAME: why" per check and ends with "browser: N passed, N failed".
Waits for elements, never sleeps.
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BIN, DATA, PORT, SHOTS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
BASE = f"http://127.0.0.1:{PORT}"
ADMIN = "tv_browser-test-admin-token-00000000"
os.makedirs(SHOTS, exist_ok=True)
passed, failed = 0, 0
server = None


def serve(at=None):
    """(Re)starts the server; `at`, a UTC datetime, starts its clock there (faketime), else the real clock."""
    global server
    stop()
    command = [BIN, "serve", "--data-dir", DATA, "--port", PORT, "--public-url", BASE]
    env = dict(os.environ, TRUYVET_ADMIN_TOKEN=ADMIN)
    if at is not None:
        command = ["faketime", "-f", "@" + at.strftime("%Y-%m-%d %H:%M:%S")] + command
        env.update(TZ="UTC", FAKETIME_DONT_FAKE_MONOTONIC="1")
    log = open(os.path.join(DATA, "..", "server.log"), "a")
    # Its own process group: faketime runs the server as a child, and stopping must stop both.
    server = subprocess.Popen(command, stdout=log, stderr=log, env=env, start_new_session=True)
    for _ in range(300):
        try:
            with urllib.request.urlopen(BASE + "/healthz", timeout=1):
                return
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the server exited")
            time.sleep(0.1)  # polling a starting process between attempts; no check depends on it
    raise RuntimeError("the server did not start")


def stop():
    global server
    if server is not None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        # The group's last process (the server under faketime) has let go of the port once it refuses connections.
        for _ in range(300):
            try:
                urllib.request.urlopen(BASE + "/healthz", timeout=1).close()
            except OSError:
                break
            time.sleep(0.1)
        server = None


def browser(width, height):
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--window-size={width},{height}",
                "--lang=vi"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
    driver.set_window_size(width, height)
    return driver


def check(name, fn):
    global passed, failed
    try:
        fn()
        print(f"  ok   {name}", flush=True)
        passed += 1
    except Exception as e:  # noqa: BLE001 - every failure is reported and counted
        print(f"  FAIL {name}: {e!r}", flush=True)
        traceback.print_exc()
        failed += 1


def wait(driver, css):
    return WebDriverWait(driver, 15).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(driver, css, text):
    """Waits until the element shows the text (across a page load: an element of the page before may go stale)."""
    def shows(d):
        try:
            return text in d.find_element(By.CSS_SELECTOR, css).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False
    WebDriverWait(driver, 15).until(shows)


def shot(driver, name):
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))


def accessible(driver, page, allowed=()):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    bad = [v for v in results["violations"] if v.get("impact") in ("serious", "critical") and v["id"] not in allowed]
    assert not bad, f"{page}: " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in bad)


def fetch(path, cookies, data=None):
    """An HTTP request outside the browser with the browser's cookies (for downloads and forged forms)."""
    header = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(BASE + path, data=body, headers={"Cookie": header})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


serve()
owner = browser(1280, 1000)
visitor = browser(390, 844)
state = {}
try:
    def start_page():
        owner.get(BASE + "/")
        wait(owner, "a[href='/venue/register']")
        assert owner.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        assert owner.find_element(By.CSS_SELECTOR, "label[for='f-shortCode']")
        shot(owner, "01-start")
        accessible(owner, "/")
    check("the start page offers check-in by code, registration and sign-in", start_page)

    def register():
        owner.find_element(By.CSS_SELECTOR, "a[href='/venue/register']").click()
        Select(wait(owner, "#f-province")).select_by_value("06")
        owner.find_element(By.CSS_SELECTOR, "form[method='get'] button").click()
        Select(wait(owner, "#f-district")).select_by_value("058")
        owner.find_element(By.CSS_SELECTOR, "form[method='get'] button").click()
        WebDriverWait(owner, 15).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#f-areaCode option")) > 2)
        Select(owner.find_element(By.ID, "f-areaCode")).select_by_value("01843")
        Select(owner.find_element(By.ID, "f-category")).select_by_value("restaurant")
        owner.find_element(By.ID, "f-name").send_keys("Quán Phở Bà Tư")
        owner.find_element(By.ID, "f-address").send_keys("5 Trường Chinh")
        owner.find_element(By.ID, "f-contactPhone").send_keys("0912 345 678")
        owner.find_element(By.ID, "f-capacity").send_keys("40")
        # A wrong phone first: the form comes back with the values kept and the message beside the field.
        owner.find_element(By.ID, "f-contactPhone").clear()
        owner.find_element(By.ID, "f-contactPhone").send_keys("12345")
        owner.find_element(By.CSS_SELECTOR, "form[method='post'] button[type='submit']").click()
        err = wait(owner, "#f-contactPhone-err")
        assert "10 chữ số" in err.text, err.text
        assert owner.find_element(By.ID, "f-name").get_attribute("value") == "Quán Phở Bà Tư"
        assert Select(owner.find_element(By.ID, "f-areaCode")).first_selected_option.get_attribute("value") == "01843"
        shot(owner, "02-register-error")
        owner.find_element(By.ID, "f-contactPhone").clear()
        owner.find_element(By.ID, "f-contactPhone").send_keys("0912 345 678")
        owner.find_element(By.CSS_SELECTOR, "form[method='post'] button[type='submit']").click()
        state["key"] = wait(owner, "#management-key").text.strip()
        state["venue"] = owner.find_element(By.ID, "venue-id").text.strip()
        assert state["key"].startswith("tv_"), state["key"]
        shot(owner, "03-registered")
        accessible(owner, "registered")
    check("a newcomer registers a venue through the form and is shown the key once", register)

    def poster():
        owner.find_element(By.CSS_SELECTOR, "a[href='/venue/poster']").click()
        link = wait(owner, "#poster-pdf").get_attribute("href")
        WebDriverWait(owner, 15).until(lambda d: d.execute_script("return document.querySelector('img.poster').naturalWidth") > 0)
        shot(owner, "04-poster")
        accessible(owner, "poster")
        status, headers, pdf = fetch(urllib.parse.urlparse(link).path, owner.get_cookies())
        assert status == 200 and pdf.startswith(b"%PDF"), (status, pdf[:20])
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "poster.pdf"), "wb") as f:
                f.write(pdf)
            subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", "poster.pdf", "poster"], cwd=tmp, check=True)
            out = subprocess.run(["zbarimg", "-q", "--raw", "poster.png"], cwd=tmp, capture_output=True, text=True).stdout.strip()
        assert out.startswith(BASE + "/c/"), out
        state["url"] = out
    check("the signed-in owner downloads the poster PDF and its QR code reads the check-in URL", poster)

    def visit():
        visitor.get(state["url"])
        wait(visitor, "#f-name").send_keys("Nguyễn Văn An")
        visitor.find_element(By.ID, "f-phone").send_keys("0987 654 321")
        assert visitor.execute_script("return document.documentElement.scrollWidth") <= 390
        shot(visitor, "05-visitor-form")
        accessible(visitor, "check-in form")
        visitor.find_element(By.CSS_SELECTOR, "form button[type='submit']").click()
        state["word"] = wait(visitor, "#day-word").text.strip()
        assert "ĐÃ VÀO" in visitor.page_source
        shot(visitor, "06-visitor-receipt")
        accessible(visitor, "receipt")
    check("a visitor at phone size checks in through the page", visit)

    def today():
        owner.get(BASE + "/venue")
        word = wait(owner, "#day-word").text.strip()
        assert word == state["word"], (word, state["word"])
        assert owner.find_element(By.ID, "inside-count").text == "1"
        assert "Nguyễn Văn An" in owner.find_element(By.ID, "today").text
        shot(owner, "07-venue-today")
        accessible(owner, "today")
    check("the receipt's word of the day is the one on the venue's today page", today)

    def csrf():
        status, _, body = fetch("/venue/checkout-all", owner.get_cookies(), {"confirm": "yes"})
        assert status == 403, status
        owner.get(BASE + "/venue")
        assert wait(owner, "#inside-count").text == "1"
    check("a form POST without the CSRF token is refused and changes nothing", csrf)

    def desk():
        request = urllib.request.Request(BASE + "/v1/people/cards", method="POST",
                                         data=json.dumps({"name": "Bà Tư", "phone": "0912 111 222"}).encode(),
                                         headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            code = json.load(response)["code"]
        owner.get(BASE + "/venue/desk")
        # A USB or phone barcode scanner types the code and presses Enter.
        wait(owner, "#f-code").send_keys(code + Keys.ENTER)
        result = wait(owner, "#desk-result").text
        assert "Bà Tư" in result and "ĐÃ VÀO" in result, result
        shot(owner, "08-staff-desk")
        accessible(owner, "desk")
        owner.get(BASE + "/venue")
        assert wait(owner, "#inside-count").text == "2"
    check("the staff desk checks in a personal card's code typed by a scanner", desk)

    def screen():
        owner.get(BASE + "/venue/screen")
        WebDriverWait(owner, 15).until(lambda d: d.execute_script("return document.getElementById('screen-qr').naturalWidth") > 0)
        refresh = owner.find_element(By.CSS_SELECTOR, "meta[http-equiv='refresh']").get_attribute("content")
        assert 1 <= int(refresh) <= 30, refresh
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "screen.png")
            owner.save_screenshot(path)
            shot(owner, "11-door-screen")
            url = subprocess.run(["zbarimg", "-q", "--raw", path], capture_output=True, text=True).stdout.strip()
        assert url.startswith(BASE + "/c/") and len(url.rsplit("/", 1)[1]) == 43, url
        # The door screen is a display for a tablet that nobody reads or types on: reloading itself as its code changes
        # is its purpose (axe's meta-refresh rule is about pages people read).
        accessible(owner, "door screen", allowed=("meta-refresh",))
        visitor.get(url)
        assert wait(visitor, "#f-name")
    check("the door screen shows a rotating QR code that a phone can open", screen)

    def next_day():
        owner.find_element(By.CSS_SELECTOR, "header form button").click()
        wait(owner, "a[href='/sign-in']")
        # The next day, in Vietnam: the server's clock a day ahead (10:00 there).
        today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).date()
        state["tomorrow"] = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(3, 0))
        serve(at=state["tomorrow"])
        owner.get(BASE + "/venue")
        wait(owner, "#f-key").send_keys(state["key"])
        owner.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type='submit']").click()
        wait(owner, "#day-word")
        owner.get(BASE + "/venue/log")
        assert wait(owner, "#log-count").text == "0", "today's log is empty the next day"
        start = owner.find_element(By.ID, "f-from")
        owner.execute_script("arguments[0].value = arguments[1]", start, today.isoformat())
        owner.find_element(By.CSS_SELECTOR, "form[action='/venue/log'] button").click()
        assert "Nguyễn Văn An" in wait(owner, "#log").text
        shot(owner, "09-venue-log")
        accessible(owner, "log")
        href = owner.find_element(By.ID, "log-csv").get_attribute("href")
        parts = urllib.parse.urlparse(href)
        status, headers, csv = fetch(parts.path + "?" + parts.query, owner.get_cookies())
        assert status == 200 and "text/csv" in headers["Content-Type"], status
        assert "Nguyễn Văn An" in csv.decode("utf-8-sig"), csv[:200]
    check("the owner signs out, signs in the next day with the key, finds the visitor in the log and downloads the CSV", next_day)

    def screen_steps():
        # On a 30-second step boundary a day later still: the code changes after its step, the one before is still
        # taken (a slow scan), one two steps old is refused.
        start = state["tomorrow"] + datetime.timedelta(hours=1)
        codes = []
        for step in range(3):
            serve(at=start + datetime.timedelta(seconds=30 * step))
            owner.get(BASE + "/venue/screen")
            if "/sign-in" in owner.current_url:
                wait(owner, "#f-key").send_keys(state["key"])
                owner.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type='submit']").click()
                owner.get(BASE + "/venue/screen")
            codes.append(wait(owner, "#screen-url").get_attribute("textContent").strip())
            if step == 1:
                assert codes[1] != codes[0], "the code changed with the step"
                visitor.get(codes[0])
                assert wait(visitor, "#f-name"), "the code of the step before still opens the form"
        visitor.get(codes[0])
        wait_text(visitor, "h1", "Mã QR không hợp lệ")  # a code two steps old is refused
        visitor.get(codes[2])
        assert wait(visitor, "#f-name")
    check("the door screen's code changes after its step and a code two steps old is refused", screen_steps)


    def staff():
        other = browser(800, 900)
        try:
            other.get(BASE + "/sign-in")
            wait(other, "#f-username").send_keys("lan")
            other.find_element(By.ID, "f-password").send_keys("mat-khau-dung-1" + Keys.ENTER)
            wait_text(other, "h1", "lan")
            shot(other, "12-staff")
            accessible(other, "staff")
        finally:
            other.quit()
    check("a tracer signs in with the account an operator created", staff)

    def lockout():
        other = browser(800, 900)
        try:
            for i in range(5):
                other.get(BASE + "/sign-in")
                wait(other, "#f-username").send_keys("lan")
                other.find_element(By.ID, "f-password").send_keys(f"wrong password {i}" + Keys.ENTER)
                wait(other, "#f-password-err")
            other.get(BASE + "/sign-in")
            wait(other, "#f-username").send_keys("lan")
            other.find_element(By.ID, "f-password").send_keys("mat-khau-dung-1" + Keys.ENTER)
            wait_text(other, "h1", "Quá nhiều")
            shot(other, "10-locked")
            # The address is locked for the venue key too, right or wrong.
            other.get(BASE + "/sign-in")
            wait(other, "#f-key").send_keys(state["key"] + Keys.ENTER)
            wait_text(other, "h1", "Quá nhiều")
        finally:
            other.quit()
    check("five wrong passwords lock sign-in, even with the right password, and the address for keys too", lockout)
finally:
    owner.quit()
    visitor.quit()
    stop()

print(f"browser: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
