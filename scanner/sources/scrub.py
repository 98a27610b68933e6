"""Credentials out of text: URL user info, and the tokens, passwords and keys a kubeconfig holds.

The sources build a Scrubber from what they read and pass every message and description through
it; the CLI scrubs URL user info from whatever it prints. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

REDACTED = "***"
_MIN_SECRET_CHARS = 8
# user:password@ (or token@) in any URL, whatever the scheme.
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@")


@dataclass(frozen=True)
class Scrubber:
    """Replaces known secret strings and any URL's user info in a text with `***`."""

    secrets: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)

    def with_secrets(self, *values: object) -> Scrubber:
        # Short values would blank out ordinary words and names (a token "ksbench" in context
        # "ksbench-embedded"); in a URL, user info of any length is scrubbed by the pattern.
        found = {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_CHARS}
        return Scrubber(tuple(sorted(set(self.secrets) | found, key=len, reverse=True)))

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
