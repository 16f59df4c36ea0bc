"""Webhook delivery: a signed JSON POST per message (``candor.webhooks`` describes the
signature). The message's recipient is the subscription id; its URL and secret are read at
send time, so a removed subscription receives nothing more."""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

from candor import webhooks
from candor.domain.outbox import Message, Outcome, Result

# subscription id -> (url, secret), or None when it was removed
Lookup = Callable[[str], tuple[str, str] | None]


class WebhookTransport:
    def __init__(
        self,
        lookup: Lookup,
        *,
        timeout: float = 10.0,
        user_agent: str = "Candor-Webhooks/1",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lookup = lookup
        self.timeout = timeout
        self.user_agent = user_agent
        self.clock = clock
        # no proxies from the environment and no redirects: the POST goes where it was told
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    def close(self) -> None:
        pass

    def deliver(self, messages: Sequence[Message]) -> list[Result]:
        return [self._one(m) for m in messages]

    def _one(self, message: Message) -> Result:
        target = self.lookup(message.recipient)
        if target is None:
            return Result(message.key, Outcome.PERMANENT, "the webhook subscription was removed")
        url, secret = target
        body = message.body.encode("utf-8")
        timestamp = int(self.clock())
        # the URL was checked to be http(s) when the subscription was made
        request = urllib.request.Request(  # noqa: S310
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                webhooks.SIGNATURE_HEADER: webhooks.sign(secret, body, timestamp),
                webhooks.DELIVERY_HEADER: str(message.id),
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Result(message.key, Outcome.SENT, f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code} from {url}"
            if exc.code in (408, 425, 429) or exc.code >= 500:
                return Result(message.key, Outcome.TEMPORARY, detail)
            return Result(message.key, Outcome.PERMANENT, detail)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # OSError covers URLError and timeouts; HTTPException a malformed answer (bad status
            # line, cut-off body); ValueError a URL urllib cannot use
            # Receivers drop repeated delivery ids, so a retry after a lost answer is harmless.
            return Result(message.key, Outcome.TEMPORARY, f"cannot reach {url}: {exc}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
