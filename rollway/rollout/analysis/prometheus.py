"""Prometheus: one PromQL instant query over the HTTP API (`/api/v1/query`), one number out."""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from rollway.rollout.analysis.base import Context, ProviderError, Reading
from rollway.rollout.spec import PrometheusQuery


def _number(sample: Any) -> float:
    # Samples are [<unix time>, "<value as string>"]; Prometheus spells special values NaN, +Inf, -Inf.
    try:
        return float(sample[1])
    except (TypeError, ValueError, IndexError):
        raise ProviderError(f"unexpected sample {sample!r}") from None


def value_of(payload: Any) -> float | None:
    """The single number in an instant-query response; None when the result is empty or NaN."""
    if not isinstance(payload, dict):
        raise ProviderError("response is not a JSON object")
    if payload.get("status") != "success":
        raise ProviderError(f"{payload.get('errorType', 'error')}: {payload.get('error', 'query failed')}")
    data = payload.get("data") or {}
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        value = _number(result)
    elif kind == "vector":
        if not result:
            return None
        if len(result) > 1:
            raise ProviderError(f"query returned {len(result)} series; aggregate it to one (sum(), max(), ...)")
        value = _number(result[0].get("value"))
    else:
        raise ProviderError(f"query returned a {kind}; use an instant vector or scalar expression")
    return None if math.isnan(value) else value


TOKEN_LIFETIME_SECONDS = 300.0


class PrometheusProvider:
    """Runs `query.query` (with `$canary`/`$stable`/`$service` expanded) against `query.url`.

    Any server speaking the Prometheus HTTP API works, including the managed ones behind a bearer token
    (Google Cloud Monitoring's PromQL API, Azure Monitor workspaces): see bearerTokenEnv/bearerTokenCommand.

    Args:
        query: Server, PromQL, timeout, headers, token source.
    """

    def __init__(self, query: PrometheusQuery) -> None:
        self.query = query
        self._token: str | None = None
        self._token_at = 0.0

    def _bearer(self) -> str | None:
        if self.query.bearer_token_env is not None:
            token = os.environ.get(self.query.bearer_token_env, "").strip()
            if not token:
                raise ProviderError(f"environment variable {self.query.bearer_token_env} (bearerTokenEnv) is not set")
            return token
        command = self.query.bearer_token_command
        if command is None:
            return None
        if self._token is None or time.monotonic() - self._token_at > TOKEN_LIFETIME_SECONDS:
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ProviderError(f"bearerTokenCommand {command[0]} failed: {exc}") from None
            token = done.stdout.strip()
            if done.returncode != 0 or not token:
                reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}, no token printed"])[-1]
                raise ProviderError(f"bearerTokenCommand {command[0]} failed: {reason}")
            self._token, self._token_at = token, time.monotonic()
        return self._token

    def measure(self, context: Context) -> Reading:
        promql = context.expand(self.query.query)
        url = self.query.url.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        headers = {"Accept": "application/json", **self.query.headers}
        token = self._bearer()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.query.timeout) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            # Bad queries answer 400/422 with a JSON body that says what is wrong.
            try:
                payload = json.loads(exc.read())
            except (ValueError, OSError):
                raise ProviderError(f"HTTP {exc.code} from {self.query.url}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise ProviderError(f"cannot reach Prometheus at {self.query.url}: {getattr(exc, 'reason', exc)}") from None
        except ValueError:
            raise ProviderError(f"{self.query.url} did not answer JSON") from None
        value = value_of(payload)
        return Reading(value, "empty result" if value is None else "promql")
