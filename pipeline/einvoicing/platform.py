"""The provider's accredited platform (Plateforme Agréée) through the AFNOR XP Z12-013 flow
API: the only module of the project that talks to the network (R94, R95 --fetch).

Configuration, from the environment only (never a file, never written under OUT):

- `BILLING_PA_URL`: the API's base URL (`https://api.example-pa.fr`), under which the flow
  service answers at `/afnor-flow/v1/...`;
- `BILLING_PA_TOKEN_URL`: its OAuth2 token endpoint (default `BILLING_PA_URL/oauth2/token`);
- `BILLING_PA_CLIENT_ID`, `BILLING_PA_CLIENT_SECRET`: the OAuth2 client credentials;
- `BILLING_PA_TIMEOUT`: seconds a call may take (default 30), connection and answer.

A URL must be https, except on the loopback interface (127.0.0.1, localhost: a test platform),
for which oauthlib's transport check is relaxed.

The calls are pyfrctc's (pipeline.einvoicing.frctc) on a session of ours: an OAuth2 session
(client credentials) that fetches a token before the first call, fetches a new one and
repeats the call once when the platform answers 401 (a token expired or revoked on its side),
applies the configured time-out to every call, and keeps the last answer, so that an outcome
is read from the HTTP status, not from pyfrctc's error text:

- 202: deposited, with the flow id of the answer;
- 400, 422: refused (the file itself), with the platform's errorCode and errorMessage;
- anything else (401 again, 403, 429, 5xx), a time-out or no connection: failed, nothing
  recorded, tried again by the next run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from oauthlib.oauth2 import BackendApplicationClient, TokenExpiredError
from requests import Response
from requests_oauthlib import OAuth2Session

from pipeline.core.errors import InputError
from pipeline.core.language import say
from pipeline.einvoicing import frctc

ENV_URL = "BILLING_PA_URL"
ENV_TOKEN_URL = "BILLING_PA_TOKEN_URL"
ENV_CLIENT_ID = "BILLING_PA_CLIENT_ID"
ENV_CLIENT_SECRET = "BILLING_PA_CLIENT_SECRET"
ENV_TIMEOUT = "BILLING_PA_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
REFUSED_STATUSES = frozenset({400, 422})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

DEPOSITED, REFUSED, FAILED = "deposited", "refused", "failed"


@dataclass(frozen=True)
class PlatformConfig:
    url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT


def config_from_environment(env: Mapping[str, str] | None = None) -> PlatformConfig:
    """The platform's configuration; none (or an incomplete one): InputError (exit 2)."""
    env = os.environ if env is None else env
    url = env.get(ENV_URL, "").strip().rstrip("/")
    client_id = env.get(ENV_CLIENT_ID, "").strip()
    secret = env.get(ENV_CLIENT_SECRET, "").strip()
    missing = [
        n
        for n, v in ((ENV_URL, url), (ENV_CLIENT_ID, client_id), (ENV_CLIENT_SECRET, secret))
        if not v
    ]
    if missing:
        raise InputError(
            say(
                f"aucune plateforme agréée configurée ({', '.join(missing)} absent de "
                "l'environnement) : rien n'est envoyé (R94, docs/einvoicing.md)",
                f"no accredited platform configured ({', '.join(missing)} not in the "
                "environment): nothing sent (R94, docs/einvoicing.md)",
            )
        )
    token_url = env.get(ENV_TOKEN_URL, "").strip() or f"{url}/oauth2/token"
    for name, value in ((ENV_URL, url), (ENV_TOKEN_URL, token_url)):
        parsed = urlparse(value)
        if parsed.scheme != "https" and not (
            parsed.scheme == "http" and parsed.hostname in LOOPBACK
        ):
            raise InputError(
                say(
                    f"{name} = {value!r} : une adresse https:// est attendue",
                    f"{name} = {value!r}: an https:// address is expected",
                )
            )
    try:
        timeout = float(env.get(ENV_TIMEOUT, "") or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise InputError(
            say(
                f"{ENV_TIMEOUT} = {env.get(ENV_TIMEOUT)!r} : un nombre de secondes de 0 à 600 est attendu",
                f"{ENV_TIMEOUT} = {env.get(ENV_TIMEOUT)!r}: a number of seconds from 0 to 600 is expected",
            )
        )
    return PlatformConfig(url, token_url, client_id, secret, timeout)


def _rewind(kwargs: dict[str, Any]) -> None:
    """A multipart body's files are read by the first attempt: back to their start."""
    for value in (kwargs.get("files") or {}).values():
        for part in value if isinstance(value, tuple) else (value,):
            if hasattr(part, "seek"):
                part.seek(0)


class _Session(OAuth2Session):  # type: ignore[misc]
    """OAuth2 client credentials, a new token on 401, the configured time-out (module)."""

    def __init__(self, config: PlatformConfig) -> None:
        super().__init__(
            client=BackendApplicationClient(client_id=config.client_id),
            auto_refresh_url=config.token_url,
        )
        self._config = config
        self.last_response: Response | None = None
        self.tokens_fetched = 0

    def new_token(self) -> None:
        self.tokens_fetched += 1
        self.fetch_token(
            self._config.token_url,
            client_id=self._config.client_id,
            client_secret=self._config.client_secret,
            timeout=self._config.timeout,
        )

    def request(  # type: ignore[override]
        self, method: str, url: str, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Response:
        kwargs["timeout"] = self._config.timeout
        if url == self._config.token_url or kwargs.get("withhold_token"):
            return super().request(method, url, data=data, headers=headers, **kwargs)
        self.last_response = None
        if not self.token:
            self.new_token()
        try:
            response = super().request(method, url, data=data, headers=headers, **kwargs)
        except TokenExpiredError:
            self.new_token()
            _rewind(kwargs)
            response = super().request(method, url, data=data, headers=headers, **kwargs)
        if response.status_code == 401:
            self.new_token()
            _rewind(kwargs)
            response = super().request(method, url, data=data, headers=headers, **kwargs)
        self.last_response = response
        return response


@dataclass(frozen=True)
class Deposit:
    outcome: str  # DEPOSITED, REFUSED, FAILED
    flow_id: str = ""
    reason: str = ""
    http_status: int | None = None
    fatal: bool = False  # no point trying the next document (unreachable, not authorised)


def _error_text(response: Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if not isinstance(body, dict):
        return str(body)[:200]
    code, message = body.get("errorCode") or "", body.get("errorMessage") or ""
    return f"{code}: {message}".strip(": ") if code or message else str(body)[:200]


class Platform:
    """The configured platform; one per run."""

    def __init__(self, config: PlatformConfig) -> None:
        if urlparse(config.url).scheme == "http":  # loopback only (config_from_environment)
            os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        frctc.register_platform(config.url, config.token_url)
        self.config = config
        self.session = _Session(config)

    def deposit(self, content: bytes, filename: str, syntax: str) -> Deposit:
        """POST a flow (Factur-X or CDAR); see the module for the outcomes."""
        try:
            answer = frctc.send_flow(self.session, content, filename, syntax)
        except Exception as exc:  # pyfrctc raises RuntimeError/ConnectionError; oauthlib its own
            return self._failure(exc)
        flow_id = str(answer.get("flowId") or "")
        if not flow_id:
            return Deposit(
                FAILED,
                reason=say("réponse sans flowId", "answer without a flowId"),
                http_status=202,
            )
        return Deposit(DEPOSITED, flow_id, http_status=202)

    def _failure(self, exc: Exception) -> Deposit:
        response = self.session.last_response
        if response is None:
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            return Deposit(FAILED, reason=reason, fatal=True)
        status = response.status_code
        if status in REFUSED_STATUSES:
            return Deposit(REFUSED, reason=_error_text(response), http_status=status)
        return Deposit(
            FAILED,
            reason=f"HTTP {status} {_error_text(response)}".strip(),
            http_status=status,
            fatal=status in (401, 403),
        )

    def flow_acknowledgement(self, flow_id: str) -> tuple[str, str]:
        """GET a flow's metadata: (acknowledgement status Pending/Ok/Error, its details)."""
        metadata = frctc.get_flow(self.session, flow_id)
        ack = metadata.get("acknowledgement") or {}
        details = ack.get("details") or []
        reason = "; ".join(
            f"{d.get('reasonCode', '')}: {d.get('reasonMessage', '')}".strip(": ")
            for d in details
            if isinstance(d, dict)
        )
        return str(ack.get("status") or ""), reason

    def lifecycle_flows(self, updated_after: str) -> list[dict[str, Any]]:
        """The lifecycle flows of our invoices updated after the cursor (R95 --fetch)."""
        return frctc.search_flows(self.session, updated_after)

    def flow_file(self, flow_id: str) -> bytes:
        """A flow's original file (a CDAR message)."""
        return bytes(frctc.get_flow(self.session, flow_id, doc_type="Original"))


def platform_from_environment() -> Platform:
    return Platform(config_from_environment())
