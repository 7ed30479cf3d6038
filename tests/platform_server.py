"""A local accredited platform for the tests (R94, R95): the endpoints of the AFNOR XP Z12-013
flow API that the client calls, as the standard specifies them, on 127.0.0.1 (a port the
system chooses), in a thread of the test process.

- `POST /oauth2/token`: OAuth2 client credentials (`grant_type=client_credentials`, the client
  id and secret as HTTP Basic or in the form); answers `{"access_token", "token_type":
  "Bearer", "expires_in"}`, or 401 `{"error": "invalid_client"}`.
- `POST /afnor-flow/v1/flows`: multipart/form-data with `file` (the flow's bytes) and
  `flowInfo` (JSON: `flowSyntax`, `name`, optional `processingRule`); answers 202 with the flow
  (`flowId`, `name`, `flowSyntax`, `submittedAt`, `updatedAt`, `acknowledgement.status`
  `Pending`); 400 when a part is missing. Errors are `{"errorCode", "errorMessage"}`.
- `GET /afnor-flow/v1/flows/{flowId}`: its metadata (`docType` absent or `Metadata`), or its
  file (`docType=Original`); 404 unknown.
- `POST /afnor-flow/v1/flows/search`: `{"where": {"updatedAfter", "flowType", "flowDirection"},
  "limit"}` -> `{"results": [...flows updated strictly after], "totalNumberOfResults"}`.
- `GET /afnor-flow/v1/healthcheck`.

Every flow call needs `Authorization: Bearer <a token it issued and has not revoked>`, else
401. A test scripts the next answers of the deposit endpoint by file name
(`script("F2026-000001.pdf", "401", "422", "500", "timeout")`): `401` revokes every token
first (the client must fetch a new one and repeat its call), `422` refuses the file, `500`
fails, `timeout` answers after `slow_seconds`, `error` accepts the flow with an
acknowledgement in error.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

CLIENT_ID, CLIENT_SECRET = "billing-test", "s3cret-not-written"
FLOWS = "/afnor-flow/v1/flows"


class LocalPlatform:
    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.issued_tokens = 0
        self.flows: dict[str, dict[str, Any]] = {}  # flowId -> metadata
        self.files: dict[str, bytes] = {}  # flowId -> file
        self.deposits: list[tuple[str, str]] = []  # (name, syntax) of every accepted deposit
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status)
        self.scripts: dict[str, list[str]] = {}
        self.slow_seconds = 1.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def env(self, timeout: float = 5.0) -> dict[str, str]:
        return {
            "BILLING_PA_URL": self.url,
            "BILLING_PA_CLIENT_ID": CLIENT_ID,
            "BILLING_PA_CLIENT_SECRET": CLIENT_SECRET,
            "BILLING_PA_TIMEOUT": str(timeout),
        }

    def start(self) -> LocalPlatform:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, name: str, *answers: str) -> None:
        self.scripts.setdefault(name, []).extend(answers)

    def add_lifecycle(self, content: bytes, name: str, updated_at: str) -> str:
        """An inbound lifecycle flow (a CDAR message about one of our invoices)."""
        with self._lock:
            flow_id = f"LC-{len(self.flows) + 1:04d}"
            self.flows[flow_id] = {
                "flowId": flow_id,
                "name": name,
                "flowSyntax": "CDAR",
                "flowType": "CustomerInvoiceLC",
                "flowDirection": "In",
                "submittedAt": updated_at,
                "updatedAt": updated_at,
                "acknowledgement": {"status": "Ok"},
            }
            self.files[flow_id] = content
        return flow_id

    # --- the HTTP side ---------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                platform.calls.append((self.command, urlparse(self.path).path, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out)
                    pass

            def _error(self, status: int, code: str, message: str) -> None:
                self._send(status, {"errorCode": code, "errorMessage": message})

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _authorised(self) -> bool:
                auth = self.headers.get("Authorization", "")
                return auth.startswith("Bearer ") and auth[7:] in platform.tokens

            def do_POST(self) -> None:  # noqa: N802
                path = urlparse(self.path).path
                body = self._body()
                if path == "/oauth2/token":
                    return self._token(body)
                if not self._authorised():
                    return self._error(401, "UNAUTHORIZED", "invalid or expired token")
                if path == FLOWS:
                    return self._deposit(body)
                if path == f"{FLOWS}/search":
                    return self._search(body)
                return self._error(404, "NOT_FOUND", path)

            def do_GET(self) -> None:  # noqa: N802
                parsed = urlparse(self.path)
                if parsed.path == "/afnor-flow/v1/healthcheck":
                    return self._send(200, {"status": "OK"})
                if not self._authorised():
                    return self._error(401, "UNAUTHORIZED", "invalid or expired token")
                flow_id = parsed.path.removeprefix(f"{FLOWS}/")
                if not parsed.path.startswith(f"{FLOWS}/") or flow_id not in platform.flows:
                    return self._error(404, "NOT_FOUND", f"flow {flow_id}")
                doc_type = parse_qs(parsed.query).get("docType", ["Metadata"])[0]
                if doc_type == "Original":
                    return self._send(200, platform.files[flow_id], "application/octet-stream")
                return self._send(200, platform.flows[flow_id])

            def _token(self, body: bytes) -> None:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                client_id, secret = form.get("client_id"), form.get("client_secret")
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                if form.get("grant_type") != "client_credentials" or (client_id, secret) != (
                    CLIENT_ID,
                    CLIENT_SECRET,
                ):
                    platform.calls.append(("POST", "/oauth2/token", 401))
                    return self._send(401, {"error": "invalid_client"})
                with platform._lock:
                    platform.issued_tokens += 1
                    token = f"token-{platform.issued_tokens}"
                    platform.tokens.add(token)
                self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def _deposit(self, body: bytes) -> None:
                head = f"Content-Type: {self.headers.get('Content-Type', '')}\r\n\r\n".encode()
                message = BytesParser(policy=HTTP).parsebytes(head + body)
                parts = {}
                if message.is_multipart():
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        parts[name] = part.get_payload(decode=True)
                if "file" not in parts or "flowInfo" not in parts:
                    return self._error(400, "BAD_REQUEST", "file and flowInfo are required")
                info = json.loads(parts["flowInfo"])
                name = info.get("name", "")
                answers = platform.scripts.get(name) or []
                answer = answers.pop(0) if answers else "202"
                if answer == "401":
                    platform.tokens.clear()  # revoked: the client must fetch a new token
                    return self._error(401, "UNAUTHORIZED", "token revoked")
                if answer == "422":
                    return self._error(
                        422, "INVALID_FLOW", f"{name}: BR-FR-12 buyer electronic address missing"
                    )
                if answer == "500":
                    return self._error(500, "INTERNAL_ERROR", "try again later")
                if answer == "timeout":
                    time.sleep(platform.slow_seconds)
                    return self._error(503, "LATE", "too late")
                now = "2026-12-01T09:00:00.000Z"
                with platform._lock:
                    flow_id = f"FLOW-{len(platform.flows) + 1:04d}"
                    ack = {"status": "Pending"}
                    if answer == "error":
                        ack = {
                            "status": "Error",
                            "details": [
                                {
                                    "item": name,
                                    "level": "Error",
                                    "reasonCode": "DOUBLON",
                                    "reasonMessage": "invoice already received",
                                }
                            ],
                        }
                    flow = {
                        "flowId": flow_id,
                        "name": name,
                        "flowSyntax": info.get("flowSyntax"),
                        "flowDirection": "Out",
                        "submittedAt": now,
                        "updatedAt": now,
                        "acknowledgement": ack,
                    }
                    platform.flows[flow_id] = flow
                    platform.files[flow_id] = parts["file"]
                    platform.deposits.append((name, str(info.get("flowSyntax"))))
                self._send(202, {k: v for k, v in flow.items() if k != "acknowledgement"})

            def _search(self, body: bytes) -> None:
                query = json.loads(body or b"{}")
                where = query.get("where", {})
                after = where.get("updatedAfter", "")
                types = where.get("flowType") or []
                directions = where.get("flowDirection") or []
                results = [
                    f
                    for f in platform.flows.values()
                    if f["updatedAt"] > after
                    and (not types or f.get("flowType") in types)
                    and (not directions or f.get("flowDirection") in directions)
                ]
                results.sort(key=lambda f: f["updatedAt"])
                limit = int(query.get("limit") or 100)
                self._send(200, {"results": results[:limit], "totalNumberOfResults": len(results)})

        return Handler
