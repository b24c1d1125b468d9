"""A read-only package mirror on this host, for building deploy/Dockerfile where containers
cannot reach PyPI or the npm registry but the host can (tests/test_compose_stack.py).

It listens on the Docker bridge's gateway address only (reachable from build containers and from
this host, from nowhere else) and passes GET requests through to the real indexes, rewriting
their absolute file URLs so that the downloads come through it too:

- ``/pypi/simple/...`` → https://pypi.org/simple/... (``PIP_INDEX_URL``), ``/pypi/files/...`` →
  https://files.pythonhosted.org/...
- ``/npm/...`` → https://registry.npmjs.org/... (``NPM_CONFIG_REGISTRY``)

So pip and npm inside the build resolve and verify (hashes, lockfile integrity) exactly what they
would with internet access; only the route differs. The Dockerfile's commands are unchanged: the
mirror comes in through ``ARG`` variables that pip and npm read from the environment.
"""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections import Counter

UPSTREAMS = {
    "/pypi/simple/": "https://pypi.org/simple/",
    "/pypi/files/": "https://files.pythonhosted.org/",
    "/npm/": "https://registry.npmjs.org/",
}
_FORWARDED_HEADERS = ("Accept", "User-Agent", "Npm-Command", "Npm-Session")


# The mirror's address is a build argument, and a build argument's value is part of the build
# cache key of every RUN after it: a port that stays the same keeps `npm ci` and `pip install`
# cached from one run to the next.
PORT = 47391
# The variables pip and npm read their index from: deploy/Dockerfile declares each as an ARG.
BUILD_ARGS = {"PIP_INDEX_URL": "pip", "PIP_TRUSTED_HOST": "pip", "NPM_CONFIG_REGISTRY": "npm"}


class PackageMirror:
    def __init__(self, address: str, port: int = 0) -> None:
        mirror = self
        self.requests: Counter[str] = Counter()
        self.failures: list[str] = []
        self._opener = urllib.request.build_opener()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        try:
            self.server = http.server.ThreadingHTTPServer((address, port), Handler)
        except OSError:  # taken: any port will do, at the cost of the build cache (see PORT)
            self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.server.daemon_threads = True
        self.host = f"{address}:{self.server.server_address[1]}"
        self.base = f"http://{self.host}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def build_args(self) -> dict[str, str]:
        """deploy/Dockerfile's ARGs (``BUILD_ARGS``) for this mirror."""
        args = {
            "PIP_INDEX_URL": f"{self.base}/pypi/simple/",
            "PIP_TRUSTED_HOST": self.host,
            "NPM_CONFIG_REGISTRY": f"{self.base}/npm/",
        }
        assert set(args) == set(BUILD_ARGS)
        return args

    def _rewrite(self, body: bytes) -> bytes:
        for local, upstream in UPSTREAMS.items():
            body = body.replace(upstream.encode(), f"{self.base}{local}".encode())
        return body

    def _serve(self, request: http.server.BaseHTTPRequestHandler) -> None:
        prefix = next((p for p in UPSTREAMS if request.path.startswith(p)), None)
        if prefix is None:
            request.send_error(404)
            return
        self.requests[prefix] += 1
        url = UPSTREAMS[prefix] + request.path[len(prefix) :]
        headers = {h: request.headers[h] for h in _FORWARDED_HEADERS if request.headers.get(h)}
        try:
            with self._opener.open(urllib.request.Request(url, headers=headers), timeout=60) as upstream:
                status, body = upstream.status, upstream.read()
                content_type = upstream.headers.get("Content-Type", "application/octet-stream")
        except urllib.error.HTTPError as error:
            status, body, content_type = error.code, error.read(), error.headers.get("Content-Type", "text/plain")
        except OSError as error:
            self.failures.append(f"{url}: {error}")
            request.send_error(502, str(error))
            return
        if prefix != "/pypi/files/" and not url.endswith(".tgz"):
            body = self._rewrite(body)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def __enter__(self) -> PackageMirror:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
