"""Credentials out of text: URL user info, and the tokens, passwords and keys a kubeconfig holds.

The sources build a Scrubber from what they read and pass every message and description through
it; the CLI scrubs URL user info from whatever it prints. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import unquote, urlsplit

REDACTED = "***"
_MIN_SECRET_CHARS = 8
# user:password@ (or token@) in any URL, whatever the scheme.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")


@dataclass(frozen=True)
class Scrubber:
    """Replaces known secret strings and any URL's user info in a text with `***`.

    `live` names secrets that can change while a scan runs (a credential plugin's token is fetched
    again when it expires): asked for at every call.
    """

    secrets: tuple[str, ...] = ()
    live: Callable[[], Iterable[str]] | None = None

    def __call__(self, text: str) -> str:
        secrets = self.secrets
        if self.live is not None:
            secrets = _longest_first(set(secrets) | _long_enough(self.live()))
        for secret in secrets:
            text = text.replace(secret, REDACTED)
        return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)

    def with_secrets(self, *values: object) -> Scrubber:
        return replace(self, secrets=_longest_first(set(self.secrets) | _long_enough(values)))

    def with_live(self, live: Callable[[], Iterable[str]]) -> Scrubber:
        return replace(self, live=live)

    def with_url(self, url: str) -> Scrubber:
        """Also scrub the password of `url` wherever it appears on its own."""
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            return self
        values = [password] if password else []
        return self.with_secrets(*values, *(unquote(v) for v in values))

    def with_url_passwords(self, urls: list[str]) -> Scrubber:
        scrub = self
        for url in urls:
            scrub = scrub.with_url(url)
        return scrub


def _long_enough(values: Iterable[object]) -> set[str]:
    # Short values would blank out ordinary words and names (a token "ksbench" in context
    # "ksbench-embedded"); in a URL, user info of any length is scrubbed by the pattern. A secret
    # read from a file may end in a newline: its lines are scrubbed too.
    found: set[str] = set()
    for value in values:
        if isinstance(value, str):
            found.update(
                v for v in (value, value.strip(), *value.splitlines()) if len(v.strip()) >= _MIN_SECRET_CHARS
            )
    return found


def _longest_first(values: set[str]) -> tuple[str, ...]:
    return tuple(sorted(values, key=lambda v: (-len(v), v)))
