"""Sending one text message, behind one interface: the console backend for development (it
prints the text and a masked number) and an HTTP gateway adapter configured for a
Vietnamese brandname-SMS provider (URL, authorisation, body template, what counts as sent).

A provider either returns (sent) or raises SmsError saying whether trying again later may
help (a timeout, a 5xx, "slow down") or not (a number the gateway refuses). Nothing here logs
a phone number or keeps one.
"""

import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from string import Template

from app.config import sms_backend


class SmsError(Exception):
    """A text not sent: `reason` is a short word for the batch's counts (never the number)."""

    def __init__(self, reason: str, *, retry: bool):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


def masked(phone: str) -> str:
    """A number as a person may see it in a development console: its last three digits."""
    return "*" * (len(phone) - 3) + phone[-3:]


class ConsoleProvider:
    """Development: "sends" by printing the text (its link can be opened) to the console."""

    name = "console"

    def send(self, phone: str, text: str) -> None:
        print(f"[SMS to {masked(phone)}] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class HttpGateway:
    """A brandname-SMS gateway spoken to over HTTP(S).

    `body` is a template with $phone, $text and $brandname (JSON-escaped when `json_body`);
    a status in `ok_statuses` is sent, unless `ok_field`/`ok_value` name a field of the JSON
    answer that must hold that value (several providers answer 200 with an error code)."""

    url: str
    body: str
    authorization: str = ""
    brandname: str = ""
    json_body: bool = True
    ok_statuses: tuple[int, ...] = (200, 201, 202)
    ok_field: str = ""
    ok_value: str = ""
    timeout: float = 10.0
    name: str = "http"

    def __post_init__(self):
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("SMS_GATEWAY_URL must be an http(s) URL")

    def send(self, phone: str, text: str) -> None:
        quote = (lambda v: json.dumps(v)[1:-1]) if self.json_body else (lambda v: v)
        payload = Template(self.body).substitute(
            phone=quote(phone), text=quote(text), brandname=quote(self.brandname)).encode()
        headers = {"Content-Type": "application/json" if self.json_body
                   else "application/x-www-form-urlencoded"}
        if self.authorization:
            headers["Authorization"] = self.authorization
        request = urllib.request.Request(  # noqa: S310 (http(s) only: __post_init__)
            self.url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                status, content = answer.status, answer.read(64 * 1024)
        except urllib.error.HTTPError as refused:
            status, content = refused.code, b""
        except (TimeoutError, OSError) as lost:  # no answer: it may or may not have gone
            raise SmsError("timeout" if isinstance(lost, TimeoutError)
                           or "timed out" in str(lost) else "unreachable", retry=True) from None
        if status == 429:
            raise SmsError("rate_limited", retry=True)
        if status >= 500:
            raise SmsError(f"http_{status}", retry=True)
        if status not in self.ok_statuses:
            raise SmsError(f"http_{status}", retry=False)
        if self.ok_field:
            try:
                value = json.loads(content or b"{}").get(self.ok_field)
            except (ValueError, AttributeError):
                raise SmsError("unreadable_answer", retry=True) from None
            if str(value) != self.ok_value:
                raise SmsError(f"refused_{str(value)[:20]}", retry=False)


def provider_from_config(config) -> ConsoleProvider | HttpGateway | None:
    """The provider SMS_BACKEND names: "console", "http" (with its SMS_GATEWAY_* settings), or
    None for "none" (invitations cannot be sent)."""
    backend = sms_backend(config)
    if backend == "none":
        return None
    if backend == "http":
        return HttpGateway(
            url=config["SMS_GATEWAY_URL"], body=config["SMS_GATEWAY_BODY"],
            authorization=config["SMS_GATEWAY_AUTHORIZATION"],
            brandname=config["SMS_GATEWAY_BRANDNAME"],
            json_body=config["SMS_GATEWAY_JSON"],
            ok_statuses=tuple(int(s) for s in config["SMS_GATEWAY_OK_STATUSES"].split(",")),
            ok_field=config["SMS_GATEWAY_OK_FIELD"], ok_value=config["SMS_GATEWAY_OK_VALUE"],
            timeout=config["SMS_GATEWAY_TIMEOUT"])
    return ConsoleProvider()
