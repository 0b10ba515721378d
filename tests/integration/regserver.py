#!/usr/bin/env python3
"""regserver.py: a scripted registry front for kiln's registry tests.

A reverse proxy in front of a real registry (docker-registry) that adds what
the real one cannot do on demand:

  --token USER:PASS   Bearer token auth as registries do it (the distribution
                      token spec): requests without a valid token get 401 and
                      'WWW-Authenticate: Bearer realm=".../token",service=...,
                      scope=...'; /token checks Basic credentials (or an
                      OAuth2 POST form) and the scopes asked, and counts
                      token requests per scope.
  --corrupt-blob D    blob GETs of digest D ("all" for every blob) get other
                      bytes of the same length: a man in the middle.
  --corrupt-manifest  manifest GETs get one more byte (still valid JSON).
  --drop-after N      the first GET of each blob longer than N bytes ends
                      after N bytes (the connection is closed); Range
                      requests are answered 206 from the blob.
  --drop-every        with --drop-after: every GET of a blob, ranges too,
                      ends after N bytes (a link that keeps failing).
  --fail-first K      the first K requests to /v2/ get --fail-status (503,
                      429, ...) with Retry-After: --retry-after.
  --redirect-blobs    blob GETs are answered 307 to a second port (as
                      registries send clients to storage); what that port
                      receives, Authorization included, is recorded.
  --tls-cert/--tls-key  HTTPS on both ports.
  --proxy             instead of all that: an HTTP proxy (CONNECT tunnels
                      and absolute-form requests), recording what it saw.

Every request is recorded; GET /stats answers the record as JSON (and
--stats FILE keeps a copy up to date). The listening port is written to
--port-file once the server accepts connections ("PORT" or "PORT
REDIRECT_PORT"). Standard library only.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import re
import secrets
import select
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailer", "transfer-encoding", "upgrade", "proxy-connection"}
BLOB_RE = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
MANIFEST_RE = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
REPO_RE = re.compile(r"^/v2/(.+)/(manifests|blobs|tags)/")
STORAGE_RE = re.compile(r"^/storage/(.+)/(sha256:[0-9a-f]{64})$")
CHUNK = 64 * 1024


class State:
    """what the server was told to do and what it saw, behind one lock"""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.requests = []
        self.token_requests = []
        self.token_scopes = {}
        self.tokens = {}		# token -> (set of (repo, action)), expiry
        self.refresh = {}		# refresh token -> user
        self.failed = 0
        self.dropped = set()
        self.connects = []
        self.ports = {}

    def record(self, entry):
        with self.lock:
            entry["n"] = len(self.requests) + 1
            self.requests.append(entry)
            self._save()
        return entry

    def update(self, entry, **kw):
        with self.lock:
            entry.update(kw)
            self._save()

    def snapshot(self):
        blob_gets, manifest_gets = {}, {}
        for r in self.requests:
            if r["method"] != "GET":
                continue
            m = BLOB_RE.match(r["path"]) or STORAGE_RE.match(r["path"])
            if m and r["listener"] == "main":
                blob_gets[m.group(2)] = blob_gets.get(m.group(2), 0) + 1
            m = MANIFEST_RE.match(r["path"])
            if m:
                key = m.group(1) + ":" + m.group(2)
                manifest_gets[key] = manifest_gets.get(key, 0) + 1
        return {
            "ports": self.ports,
            "requests": self.requests,
            "token_requests": len(self.token_requests),
            "token_log": self.token_requests,
            "token_scopes": self.token_scopes,
            "blob_gets": blob_gets,
            "manifest_gets": manifest_gets,
            "failed": self.failed,
            "connects": self.connects,
        }

    def _save(self):
        if not self.opts.stats:
            return
        tmp = self.opts.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.snapshot(), f, indent=1)
        os.replace(tmp, self.opts.stats)


def parse_scope(s):
    """'repository:name:pull,push' -> set of (name, action)"""
    out = set()
    for one in s.split():
        parts = one.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            continue
        name = ":".join(parts[1:-1])
        for action in parts[-1].split(","):
            if action:
                out.add((name, action))
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "regserver/1"
    timeout = 60

    # --- plumbing ----------------------------------------------------------

    def setup(self):
        super().setup()
        self.tls_failed = False
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.log_message("TLS handshake failed: %s", e)
                self.tls_failed = True

    def handle(self):
        if self.tls_failed:
            return
        if not isinstance(self.connection, ssl.SSLSocket):
            # a TLS ClientHello on the plain port: answer in plain HTTP at once,
            # as Go's servers do, so that a client trying HTTPS first falls back
            try:
                first = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                return
            if first == b"\x16":
                try:
                    self.connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                            b"Connection: close\r\n\r\n")
                except OSError:
                    pass
                return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass

    def log_message(self, fmt, *args):
        sys.stderr.write("regserver[%s] %s\n" % (self.server.listener, fmt % args))

    @property
    def st(self):
        return self.server.state

    @property
    def opts(self):
        return self.server.state.opts

    def base_url(self, port=None):
        scheme = "https" if self.opts.tls_cert else "http"
        return "%s://127.0.0.1:%d" % (scheme, port or self.server.server_address[1])

    def read_body(self):
        """the request body as bytes (Content-Length or chunked)"""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_simple(self, status, body=b"", headers=None, entry=None):
        if isinstance(body, str):
            body = body.encode()
        if entry is not None:
            self.st.update(entry, status=status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error_json(self, status, code, message, headers=None, entry=None):
        body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.send_simple(status, body, h, entry)

    def auth_kind(self):
        a = self.headers.get("Authorization")
        return a.split()[0].lower() if a else None

    # --- the methods ---------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_CONNECT(self):
        self.dispatch()

    def dispatch(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/stats" and self.command == "GET":
            with self.st.lock:
                body = json.dumps(self.st.snapshot(), indent=1)
            self.send_simple(200, body, {"Content-Type": "application/json"})
            return
        entry = self.st.record({
            "listener": self.server.listener,
            "method": self.command,
            "path": path,
            "query": urllib.parse.urlsplit(self.path).query,
            "range": self.headers.get("Range"),
            "auth": self.auth_kind(),
            "status": None,
        })
        if self.opts.proxy:
            return self.proxy_request(entry)
        if self.server.listener == "redirect":
            return self.storage_get(entry, path)
        if path == "/token":
            return self.token(entry)
        if self.opts.fail_first:
            with self.st.lock:
                fail = self.st.failed < self.opts.fail_first
                if fail:
                    self.st.failed += 1
            if fail:
                self.read_body()
                code = {429: "TOOMANYREQUESTS"}.get(self.opts.fail_status, "UNAVAILABLE")
                return self.error_json(self.opts.fail_status, code, "try again later",
                                       {"Retry-After": str(self.opts.retry_after)}, entry)
        if self.opts.token and not self.authorized(path, entry):
            return
        m = BLOB_RE.match(path)
        if m and self.command == "GET" and self.opts.redirect_blobs:
            self.read_body()
            loc = "%s/storage/%s/%s?sig=%s" % (self.base_url(self.st.ports["redirect"]),
                                              m.group(1), m.group(2), secrets.token_hex(8))
            self.st.update(entry, redirected_to=loc)
            return self.send_simple(307, b"", {"Location": loc}, entry)
        self.forward(entry, path)

    # --- Bearer tokens -------------------------------------------------------

    def needed_scope(self, path):
        """the scope a request needs: None for /v2/ itself"""
        m = REPO_RE.match(path)
        if not m:
            return None
        actions = "pull" if self.command in ("GET", "HEAD") else "pull,push"
        return "repository:%s:%s" % (m.group(1), actions)

    def authorized(self, path, entry):
        scope = self.needed_scope(path)
        a = self.headers.get("Authorization", "")
        granted = None
        if a[:7].lower() == "bearer ":
            with self.st.lock:
                t = self.st.tokens.get(a[7:].strip())
            if t and t[1] > time.time():
                granted = t[0]
        if granted is not None:
            if scope is None or parse_scope(scope) <= granted:
                return True
        self.read_body()
        chal = 'Bearer realm="%s/token",service="%s"' % (self.base_url(), self.opts.service)
        if scope:
            chal += ',scope="%s"' % scope
        err = ("DENIED", "requested access to the resource is denied") if granted is not None \
            else ("UNAUTHORIZED", "authentication required")
        if granted is not None:
            chal += ',error="insufficient_scope"'
        self.error_json(401, err[0], err[1], {"WWW-Authenticate": chal}, entry)
        return False

    def token(self, entry):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        user = None
        refresh = None
        if self.command == "POST":
            form = urllib.parse.parse_qs(self.read_body().decode())
            q.update(form)
            grant = form.get("grant_type", [""])[0]
            if grant == "password":
                user, pw = form.get("username", [""])[0], form.get("password", [""])[0]
                ok = "%s:%s" % (user, pw) == self.opts.token
            elif grant == "refresh_token":
                with self.st.lock:
                    user = self.st.refresh.get(form.get("refresh_token", [""])[0])
                ok = user is not None
            else:
                return self.error_json(400, "UNSUPPORTED", "unsupported grant_type", entry=entry)
        else:
            a = self.headers.get("Authorization", "")
            ok = False
            if a[:6].lower() == "basic ":
                try:
                    cred = base64.b64decode(a[6:].strip(), validate=True).decode()
                except ValueError:
                    cred = ""
                user = cred.split(":", 1)[0]
                ok = cred == self.opts.token
        scopes = sorted(q.get("scope", []))
        service = q.get("service", [""])[0]
        with self.st.lock:
            self.st.token_requests.append({"method": self.command, "user": user, "ok": ok,
                                           "service": service, "scopes": scopes})
            key = " ".join(scopes)
            self.st.token_scopes[key] = self.st.token_scopes.get(key, 0) + 1
        if not ok:
            body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                           "message": "invalid username or password"}]})
            return self.send_simple(401, body, {"Content-Type": "application/json"}, entry)
        if service != self.opts.service:
            return self.error_json(400, "INVALID", "unknown service '%s'" % service, entry=entry)
        granted = set()
        for s in scopes:
            granted |= parse_scope(s)
        tok = secrets.token_urlsafe(24)
        with self.st.lock:
            self.st.tokens[tok] = (granted, time.time() + self.opts.token_ttl)
            if self.command == "POST" and q.get("access_type", [""])[0] == "offline":
                refresh = secrets.token_urlsafe(24)
                self.st.refresh[refresh] = user
        answer = {"token": tok, "access_token": tok, "expires_in": self.opts.token_ttl,
                  "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if refresh:
            answer["refresh_token"] = refresh
        self.send_simple(200, json.dumps(answer), {"Content-Type": "application/json"}, entry)

    # --- to the registry behind ------------------------------------------------

    def upstream(self):
        u = urllib.parse.urlsplit(self.opts.upstream)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.opts.upstream_ca)
            return http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=60)
        return http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)

    def forward(self, entry, path):
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else None
        headers = {}
        for k in set(self.headers.keys()):
            lk = k.lower()
            if lk in HOP or lk == "content-length" or lk == "range":
                continue
            if lk == "authorization" and self.opts.token:
                continue
            # a field sent several times (Accept, as Go's clients do) as one
            headers[k] = ", ".join(self.headers.get_all(k))
        headers["X-Forwarded-Proto"] = "https" if self.opts.tls_cert else "http"
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = self.upstream()
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
        except OSError as e:
            conn.close()
            return self.error_json(502, "UNAVAILABLE", "upstream: %s" % e, entry=entry)
        try:
            self.relay(entry, path, resp)
        finally:
            conn.close()

    def relay(self, entry, path, resp):
        """sends resp (from upstream) on, with the faults asked for"""
        out_headers = [(k, v) for k, v in resp.getheaders()
                       if k.lower() not in HOP and k.lower() != "content-length"]
        blob = BLOB_RE.match(path) or STORAGE_RE.match(path)
        digest = blob.group(2) if blob else None
        is_get = self.command == "GET"
        if self.command == "HEAD" or resp.status in (204, 304):
            self.st.update(entry, status=resp.status)
            self.send_response(resp.status)
            for k, v in out_headers:
                self.send_header(k, v)
            cl = resp.getheader("Content-Length")
            self.send_header("Content-Length", cl if cl is not None else "0")
            self.end_headers()
            return
        length = resp.getheader("Content-Length")
        corrupt = digest and is_get and resp.status == 200 and \
            ("all" in self.opts.corrupt_blob or digest in self.opts.corrupt_blob)
        fix_manifest = is_get and resp.status == 200 and self.opts.corrupt_manifest and \
            MANIFEST_RE.match(path)
        rng = self.headers.get("Range") if digest and is_get and resp.status == 200 else None
        if length is None or fix_manifest or rng:
            data = resp.read()
            if fix_manifest:
                data = data + b"\n"
                out_headers = [(k, v) for k, v in out_headers if k.lower() != "docker-content-digest"]
            if rng:
                return self.send_range(entry, out_headers, data, rng)
            if corrupt:
                data = corrupt_bytes(data)
            self.st.update(entry, status=resp.status, bytes=len(data))
            self.send_response(resp.status)
            for k, v in out_headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        length = int(length)
        drop = None
        if digest and is_get and resp.status == 200 and self.opts.drop_after is not None \
                and length > self.opts.drop_after:
            with self.st.lock:
                if digest not in self.st.dropped or self.opts.drop_every:
                    self.st.dropped.add(digest)
                    drop = self.opts.drop_after
        self.st.update(entry, status=resp.status, bytes=length if drop is None else drop,
                       dropped=drop is not None, corrupted=bool(corrupt))
        self.send_response(resp.status)
        for k, v in out_headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = 0
        first = True
        while sent < length:
            want = CHUNK if drop is None else min(CHUNK, drop - sent)
            if want <= 0:
                break
            chunk = resp.read(want)
            if not chunk:
                break
            if corrupt and first:
                chunk = corrupt_bytes(chunk)
            first = False
            self.wfile.write(chunk)
            sent += len(chunk)
        if drop is not None:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def send_range(self, entry, headers, data, rng):
        m = re.match(r"^bytes=(\d*)-(\d*)$", rng.strip())
        total = len(data)
        if not m or (not m.group(1) and not m.group(2)):
            return self.send_simple(416, b"", {"Content-Range": "bytes */%d" % total}, entry)
        if m.group(1):
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else total - 1
        else:
            start, end = max(0, total - int(m.group(2))), total - 1
        end = min(end, total - 1)
        if start > end:
            return self.send_simple(416, b"", {"Content-Range": "bytes */%d" % total}, entry)
        part = data[start:end + 1]
        cut = self.opts.drop_every and self.opts.drop_after is not None \
            and len(part) > self.opts.drop_after
        self.st.update(entry, status=206, bytes=self.opts.drop_after if cut else len(part),
                       dropped=bool(cut))
        self.send_response(206)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, total))
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        if not cut:
            self.wfile.write(part)
            return
        self.wfile.write(part[:self.opts.drop_after])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def storage_get(self, entry, path):
        """the redirect target: blob bytes without any registry auth"""
        m = STORAGE_RE.match(path)
        if not m or self.command not in ("GET", "HEAD"):
            return self.send_simple(404, b"not found\n", entry=entry)
        self.st.update(entry, authorization=self.headers.get("Authorization"))
        conn = self.upstream()
        try:
            conn.request(self.command, "/v2/%s/blobs/%s" % (m.group(1), m.group(2)))
            resp = conn.getresponse()
            self.relay(entry, path, resp)
        finally:
            conn.close()

    # --- --proxy -------------------------------------------------------------

    def mapped(self, host):
        for m in self.opts.map:
            name, _, addr = m.partition("=")
            if name == host:
                return addr
        return host

    def proxy_request(self, entry):
        if self.command == "CONNECT":
            host, _, port = self.path.rpartition(":")
            host = self.mapped(host.strip("[]"))
            self.st.update(entry, connect=self.path)
            with self.st.lock:
                self.st.connects.append(self.path)
            try:
                up = socket.create_connection((host, int(port)), timeout=30)
            except (OSError, ValueError) as e:
                return self.send_simple(502, "cannot connect to %s: %s\n" % (self.path, e), entry=entry)
            self.st.update(entry, status=200)
            self.send_response(200, "Connection Established")
            self.end_headers()
            self.wfile.flush()
            tunnel(self.connection, up)
            self.close_connection = True
            return
        u = urllib.parse.urlsplit(self.path)
        if u.scheme != "http" or not u.hostname:
            return self.send_simple(400, "absolute http URL expected\n", entry=entry)
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH") else None
        headers = {k: ", ".join(self.headers.get_all(k)) for k in set(self.headers.keys())
                   if k.lower() not in HOP and k.lower() != "content-length"}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection(self.mapped(u.hostname), u.port or 80, timeout=60)
        target = u.path + ("?" + u.query if u.query else "")
        try:
            conn.request(self.command, target or "/", body=body, headers=headers)
            resp = conn.getresponse()
            self.relay(entry, u.path, resp)
        except OSError as e:
            self.send_simple(502, "upstream: %s\n" % e, entry=entry)
        finally:
            conn.close()


def corrupt_bytes(data):
    """other bytes of the same length: in a gzip stream, the header's mtime
    (so inflate still works and only the digest tells); else one byte"""
    if not data:
        return data
    b = bytearray(data)
    i = 4 if len(b) > 8 and b[0] == 0x1F and b[1] == 0x8B else len(b) // 2
    b[i] ^= 0x01
    return bytes(b)


def tunnel(a, b):
    socks = [a, b]
    try:
        while True:
            r, _, _ = select.select(socks, [], [], 60)
            if not r:
                return
            for s in r:
                data = s.recv(CHUNK)
                if not data:
                    return
                (b if s is a else a).sendall(data)
    except OSError:
        pass
    finally:
        b.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, state, listener, ctx):
        self.state = state
        self.listener = listener
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.ctx:
            # the handshake happens in the request's thread (Handler.setup)
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--upstream", help="the registry behind: http://127.0.0.1:PORT")
    p.add_argument("--upstream-ca")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--token", metavar="USER:PASS")
    p.add_argument("--token-ttl", type=int, default=300)
    p.add_argument("--service", default="test")
    p.add_argument("--corrupt-blob", action="append", default=[], metavar="DIGEST|all")
    p.add_argument("--corrupt-manifest", action="store_true")
    p.add_argument("--drop-after", type=int)
    p.add_argument("--drop-every", action="store_true")
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--redirect-blobs", action="store_true")
    p.add_argument("--proxy", action="store_true")
    p.add_argument("--map", action="append", default=[], metavar="HOST=ADDR",
                   help="as a proxy, reach HOST at ADDR: a name only the proxy knows")
    p.add_argument("--stats")
    opts = p.parse_args()
    if not opts.proxy and not opts.upstream:
        p.error("--upstream is needed (or --proxy)")
    if bool(opts.tls_cert) != bool(opts.tls_key):
        p.error("--tls-cert and --tls-key go together")

    ctx = None
    if opts.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts.tls_cert, opts.tls_key)
    state = State(opts)
    servers = [Server((opts.listen, opts.port), state, "main", ctx)]
    state.ports["main"] = servers[0].server_address[1]
    if opts.redirect_blobs:
        servers.append(Server((opts.listen, 0), state, "redirect", ctx))
        state.ports["redirect"] = servers[1].server_address[1]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(opts.port_file + ".tmp", "w") as f:
        f.write(" ".join(str(s.server_address[1]) for s in servers) + "\n")
    os.replace(opts.port_file + ".tmp", opts.port_file)
    with state.lock:
        state._save()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
