"""Fault injectors: an HTTP proxy (uvicorn on 127.0.0.1) in front of our real service that
breaks one promise each, so that the kit can be shown to catch it.

- ``no-key``: a request without a Bearer key goes through with an agency key;
- ``ignore-denials``: a search the policy denied is re-run with the owner's key and served;
- ``drop-audit``: audit exports leave out denied searches;
- ``trust-client-time``: a search's stated ``time_s`` becomes the server clock's;
- ``deny-all``: every search answer says denied (the search still runs and is logged).
"""

from __future__ import annotations

import json
import socket
import threading
import time

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FAULTS = ("no-key", "ignore-denials", "drop-audit", "trust-client-time", "deny-all")
HOP = {"content-length", "transfer-encoding", "connection", "host", "content-encoding"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FaultyProxy:
    def __init__(self, upstream: str, admin_key: str, fault: str):
        assert fault in FAULTS, fault
        self.upstream, self.admin_key, self.fault = upstream, admin_key, fault
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._keys: dict[str, str] = {}
        self._http: httpx.AsyncClient | None = None  # one pool, made in the server's event loop
        app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> FaultyProxy:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the proxy did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    async def _key(self, http: httpx.AsyncClient, org: str) -> str:
        if org not in self._keys:
            r = await http.post("/v1/admin/keys", json={"org": org, "role": "agency", "label": "fault proxy"},
                                headers={"Authorization": f"Bearer {self.admin_key}"})
            self._keys[org] = r.json()["key"]
        return self._keys[org]

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP}
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.upstream, timeout=60,
                                           limits=httpx.Limits(max_connections=32))
        http = self._http
        if self.fault == "no-key" and not headers.get("authorization", "").startswith("Bearer "):
            headers["authorization"] = f"Bearer {await self._key(http, 'conf-ca-pd')}"
        search = request.method == "POST" and path == "/v1/searches"
        if search and self.fault == "trust-client-time":
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):  # malformed: forwarded as it came
                data = None
            if isinstance(data, dict) and isinstance(data.get("time_s"), int):
                await http.put("/v1/admin/clock", json={"now_s": data.pop("time_s")},
                               headers={"Authorization": f"Bearer {self.admin_key}"})
                body = json.dumps(data).encode()
        upstream = await http.request(request.method, path, params=request.query_params, content=body,
                                      headers=headers)
        content, status = upstream.content, upstream.status_code
        if search and status == 403 and self.fault == "ignore-denials" and b'"status":"denied"' in content:
            data = json.loads(body)
            data.update(request_id=data.get("request_id", "x") + "-again", reason="stolen vehicle")
            data.pop("on_behalf_of", None)
            data.pop("offense_type", None)
            headers["authorization"] = f"Bearer {await self._key(http, 'conf-owner')}"
            again = await http.post(path, content=json.dumps(data), headers=headers)
            content, status = again.content, again.status_code
        elif search and self.fault == "deny-all" and b'"networks"' in content:
            answer = json.loads(content)
            answer.update(status="denied", reads_returned=0, detail="denied")
            answer["reads"] = {k: [] for k in answer["reads"]}
            for n in answer["networks"]:
                n.update(effect="deny", searched=False, reads=0)
            content, status = json.dumps(answer).encode(), 403
        elif (self.fault == "drop-audit" and request.method == "GET" and path.startswith("/v1/audit/")
              and status == 200 and upstream.headers.get("content-type", "").startswith("application/json")
              and b'"rows"' in content):
            page = json.loads(content)
            page["rows"] = [r for r in page["rows"] if any(n["searched"] for n in r["networks"])]
            content = json.dumps(page).encode()
        out = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP}
        return Response(content, status_code=status, headers=out)


