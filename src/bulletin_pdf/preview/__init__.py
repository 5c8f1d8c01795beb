"""The preview page `watch` serves on 127.0.0.1: the current PDF, the build's status and problems.

It answers GET (and HEAD) for a fixed list of paths — the page's own assets,
pdf.js (from the project's `node_modules`, when set-up installed it), the status as
JSON and the current PDF — and nothing else: no file is looked up from the URL. It
listens on the loopback interface only, and answers only requests addressed to it by
that name (a web page elsewhere cannot reach it through a DNS name pointing at
127.0.0.1).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ASSETS = Path(__file__).parent / "assets"
LOOPBACK = "127.0.0.1"
PDFJS_FILES = {  # URL path → file in node_modules/pdfjs-dist
    "/pdfjs/pdf.mjs": "build/pdf.min.mjs",
    "/pdfjs/pdf.worker.mjs": "build/pdf.worker.min.mjs",
    "/pdfjs/pdf_viewer.css": "web/pdf_viewer.css",
}
PAGE_FILES = {"/": "index.html", "/preview.js": "preview.js", "/preview.css": "preview.css"}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".json": "application/json; charset=utf-8", ".pdf": "application/pdf"}


@dataclass
class Status:
    """What the page shows above the PDF; `version` changes with every new PDF."""

    issue: str
    state: str = "building"  # "building", "ready", "failed"
    version: int = 0  # 0: no PDF yet
    pages: int = 0
    seconds: float = 0.0
    finished_at: str = ""  # HH:MM:SS of the last build, good or not
    problems: list[str] = field(default_factory=list)  # why the last build failed
    warnings: list[str] = field(default_factory=list)
    pdfjs: bool = False  # pdf.js is installed: the page draws the PDF itself


class PreviewState:
    """The status and the current PDF, shared by the builder and the server's threads."""

    def __init__(self, issue: str, pdfjs: Path | None) -> None:
        self._lock = threading.Lock()
        self._status = Status(issue, pdfjs=pdfjs is not None)
        self._pdf: bytes | None = None
        self.pdfjs = pdfjs

    def building(self) -> None:
        with self._lock:
            self._status.state = "building"

    def ready(self, pdf: bytes, pages: int, seconds: float, finished_at: str,
              warnings: list[str]) -> None:
        with self._lock:
            self._pdf = pdf
            self._status = Status(self._status.issue, "ready", self._status.version + 1, pages, seconds,
                                  finished_at, [], warnings, self._status.pdfjs)

    def unchanged(self, finished_at: str, warnings: list[str]) -> None:
        """Built again to the same PDF: the page keeps what it shows."""
        with self._lock:
            self._status.state = "ready"
            self._status.problems = []
            self._status.warnings = warnings
            self._status.finished_at = finished_at

    def failed(self, problems: list[str], finished_at: str) -> None:
        """The last good PDF stays; the problems are shown above it."""
        with self._lock:
            self._status.state = "failed"
            self._status.problems = problems
            self._status.finished_at = finished_at

    def status_json(self) -> bytes:
        with self._lock:
            return json.dumps(asdict(self._status), ensure_ascii=False).encode("utf-8")

    def pdf(self) -> bytes | None:
        with self._lock:
            return self._pdf


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # a browser's open connection never holds up Ctrl-C

    def __init__(self, state: PreviewState, port: int) -> None:
        self.state = state
        super().__init__((LOOPBACK, port), PreviewHandler)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}/"

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="preview-server", daemon=True)
        thread.start()
        return thread


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "bulletin-pdf-preview"

    def do_GET(self) -> None:  # the names http.server calls
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, with_body: bool) -> None:
        if not self._addressed_to_us():
            self._send(HTTPStatus.FORBIDDEN, b"", ".html", with_body)
            return
        path = urlsplit(self.path).path
        found = self._content(path)
        if found is None:
            self._send(HTTPStatus.NOT_FOUND, "没有这个页面".encode(), ".html", with_body)
            return
        self._send(HTTPStatus.OK, *found, with_body)

    def _addressed_to_us(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]").lower()
        return host in (LOOPBACK, "localhost")

    def _content(self, path: str) -> tuple[bytes, str] | None:
        state = self.server.state
        if path in PAGE_FILES:
            name = PAGE_FILES[path]
            return (ASSETS / name).read_bytes(), Path(name).suffix
        if path == "/status":
            return state.status_json(), ".json"
        if path == "/document.pdf":
            pdf = state.pdf()
            return None if pdf is None else (pdf, ".pdf")
        if path in PDFJS_FILES and state.pdfjs is not None:
            return (state.pdfjs / PDFJS_FILES[path]).read_bytes(), Path(PDFJS_FILES[path]).suffix
        return None

    def _send(self, status: HTTPStatus, body: bytes, suffix: str, with_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPES[suffix])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the terminal shows builds, not every poll of the status."""


def find_pdfjs(project_root: Path) -> Path | None:
    """pdf.js as the project's set-up installs it (npm, into node_modules)."""
    folder = project_root / "node_modules" / "pdfjs-dist"
    return folder if all((folder / name).is_file() for name in PDFJS_FILES.values()) else None
