"""``photocheck serve`` in a subprocess, and a small HTTP client for its API (tests and benchmarks/load.py)."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path


class ServeProcess:
    """Runs ``python -m photocheck serve ARGS`` until :meth:`stop`; ``port`` is read from the URL it prints
    once its workers are ready. Its stderr (the log) is kept in ``log``."""

    def __init__(self, *args: str, cwd: str | os.PathLike | None = None, env: dict | None = None,
                 timeout: float = 300):
        cmd = [sys.executable, "-m", "photocheck", "serve", *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     encoding="utf-8", cwd=cwd, env=env)
        self.log: list[str] = []
        self.out: list[str] = []
        threading.Thread(target=self._drain, args=(self.proc.stderr, self.log), daemon=True).start()
        self.port = 0
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.out.append(line)
            m = re.search(r"http://\S+:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
            if time.monotonic() > deadline:
                break
        if not self.port:
            self.stop()
            raise RuntimeError("photocheck serve did not start:\n" + "".join(self.out + self.log))
        threading.Thread(target=self._drain, args=(self.proc.stdout, self.out), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/"

    @staticmethod
    def _drain(stream, into: list[str]) -> None:
        with stream:  # closed at end of output, when the server has stopped
            for line in stream:
                into.append(line)

    def worker_pids(self) -> list[int]:
        """The check workers: children of the server started by multiprocessing's spawn (not its
        resource tracker)."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
                cmd = Path(f"/proc/{d}/cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and b"spawn_main" in cmd:
                out.append(int(d))
        return out

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it (the workers stop with it)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def multipart_form(fields: dict[str, bytes | str | tuple[str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its Content-Type; a ``(filename, bytes)`` value is a file."""
    boundary = uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            fn, data = value
            head = (f'Content-Disposition: form-data; name="{name}"; filename="{fn}"\r\n'
                    "Content-Type: application/octet-stream\r\n")
        else:
            data = value.encode() if isinstance(value, str) else value
            head = f'Content-Disposition: form-data; name="{name}"\r\n'
        out.append(f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n")
    return b"".join(out) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 300) -> tuple[int, dict, bytes]:
    """One HTTP request to 127.0.0.1:port → (status, lower-cased headers, body). Host defaults to
    127.0.0.1:port; a ``None`` body with ``Transfer-Encoding: chunked`` is not sent by this helper."""
    h = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body, h)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def check(port: int, photo: tuple[str, bytes], reference: tuple[str, bytes] | None = None, lang: str = "zh",
          headers: dict | None = None) -> tuple[int, dict, dict | None]:
    """``POST /api/check`` → (status, headers, JSON answer or None when the answer is not JSON)."""
    fields: dict = {"photo": photo, "lang": lang}
    if reference:
        fields["reference"] = reference
    body, ctype = multipart_form(fields)
    status, h, raw = request(port, "POST", "/api/check", body, {"Content-Type": ctype, **(headers or {})})
    try:
        return status, h, json.loads(raw)
    except ValueError:
        return status, h, None
