"""``python -m skdigits serve``: draw a digit in your browser, see it read.

The standard library's HTTP server on 127.0.0.1 (by default) serves one static
page shipped in the package (``draw.html``: a canvas for a mouse, a pen or a
finger, no framework, no CDN, works offline) and answers ``POST /predict``:

- request: JSON ``{"width": w, "height": h, "ink": [w * h numbers 0-255]}``,
  the canvas's opacity row by row (``w`` and ``h`` from 8 to 1024);
- answer: JSON ``{"prediction", "classes", "proba", "input" (the 20 x 20
  image the network sees, upright, rows), "hidden" (the hidden units'
  activations, or null)}``.

A bad request (not JSON, wrong size, a body over 4 MB, a blank canvas) gets
a 400 with ``{"error": message}``, never a traceback; Ctrl-C stops the server.
"""

import argparse
import json
import sys
import threading
import warnings
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import numpy as np

from skdigits._cli.models import ModelError
from skdigits._cli.predict import add_model_options, error, get_model

MAX_BODY = 4 * 1024 * 1024
MIN_SIDE, MAX_SIDE = 8, 1024


class BadRequest(ValueError):
    """A request the page would never send: the message says what is wrong."""


def page():
    """The page's HTML, from the package."""
    return resources.files("skdigits._cli").joinpath("draw.html").read_bytes()


def parse_request(body):
    """The (h, w) ink array of a ``/predict`` request body; BadRequest if wrong."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not JSON ({exc})") from None
    if not isinstance(request, dict):
        raise BadRequest('expected a JSON object {"width", "height", "ink"}')
    width, height, ink = (request.get(key) for key in ("width", "height", "ink"))
    for name, side in (("width", width), ("height", height)):
        if not (isinstance(side, int) and not isinstance(side, bool)):
            raise BadRequest(f"{name} must be an integer, got {side!r}")
        if not MIN_SIDE <= side <= MAX_SIDE:
            raise BadRequest(f"{name} must be {MIN_SIDE} to {MAX_SIDE}, got {side}")
    if not isinstance(ink, list) or len(ink) != width * height:
        n = len(ink) if isinstance(ink, list) else type(ink).__name__
        raise BadRequest(
            f"ink must be a list of width * height = {width * height} numbers, got {n}"
        )
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 255
        for v in ink
    ):
        raise BadRequest("ink must hold numbers from 0 to 255")
    return np.asarray(ink, dtype=np.float64).reshape(height, width) / 255.0


def read_drawing(model, ink):
    """The answer to a drawing: prediction, probabilities, input, hidden units."""
    from skdigits._images import ink_map, mnist_normalise
    from skdigits._resample import mnist_to_course, unroll_images

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            field = mnist_normalise(ink_map(ink, "the drawing"))
        except ValueError as exc:
            raise BadRequest(str(exc).rstrip(".")) from None
    seen = mnist_to_course(field[None] * 255.0, 20)[0]
    model_input = mnist_to_course(field[None] * 255.0, model.size)
    X = unroll_images(model_input, model.order)
    proba = model.clf.predict_proba(X)[0]
    classes = [c.item() if hasattr(c, "item") else c for c in model.clf.classes_]
    hidden = model.hidden_activations(X)
    return {
        "prediction": classes[int(np.argmax(proba))],
        "classes": classes,
        "proba": [round(float(p), 4) for p in proba],
        "input": np.round(np.clip(seen, 0.0, 1.0), 3).tolist(),
        "hidden": None if hidden is None else np.round(hidden[0], 4).tolist(),
    }


def make_handler(model):
    """A request handler class bound to ``model``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "skdigits"

        def _send(self, status, body, content_type):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status, obj):
            self._send(status, json.dumps(obj).encode(), "application/json")

        def do_GET(self):
            if self.path.split("?")[0] in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page(), "text/html; charset=utf-8")
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {self.path}"})

        def do_POST(self):
            if self.path != "/predict":
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no endpoint {self.path}"})
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                length = -1
            if not 0 < length <= MAX_BODY:
                # Unread bytes stay in the socket: close the connection.
                self.close_connection = True
                self._json(
                    HTTPStatus.BAD_REQUEST,
                    {
                        "error": f"the body must be 1 byte to {MAX_BODY} bytes long "
                        f"(Content-Length: {self.headers.get('Content-Length')})"
                    },
                )
                return
            try:
                answer = read_drawing(model, parse_request(self.rfile.read(length)))
            except BadRequest as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
                return
            except Exception as exc:  # never a traceback to the page
                self.log_error("cannot read the drawing: %r", exc)
                self._json(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    {"error": f"the server failed: {type(exc).__name__}"},
                )
                return
            self._json(HTTPStatus.OK, answer)

        def log_message(self, format, *args):  # quiet: errors only
            pass

        def log_error(self, format, *args):
            print(f"serve: {format % args}", file=sys.stderr)

    return Handler


def make_server(model, host="127.0.0.1", port=8000):
    """A ThreadingHTTPServer serving the page and ``/predict`` (not started)."""
    server = ThreadingHTTPServer((host, port), make_handler(model))
    server.daemon_threads = True
    return server


def start_in_thread(model, host="127.0.0.1", port=0):
    """A server running in a daemon thread (for tests); ``server.shutdown()``."""
    server = make_server(model, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skdigits serve",
        description="Serve a page to draw digits on and see the network read them "
        "(standard library HTTP server; works offline).",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port (default: 8000; 0: any free)"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only)",
    )
    add_model_options(parser)
    return parser


def main(argv):
    """Run ``serve`` until Ctrl-C; return the exit code (0, or 2 for an error)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0 to 65535, got {args.port}")
    try:
        model = get_model(args)
    except ModelError as exc:
        return error(str(exc))
    try:
        server = make_server(model, args.host, args.port)
    except OSError as exc:
        return error(f"cannot listen on {args.host}:{args.port} ({exc.strerror})")
    host, port = server.server_address[:2]
    print(f"model: {model.description}", file=sys.stderr)
    print(f"Draw a digit at http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()
    return 0
