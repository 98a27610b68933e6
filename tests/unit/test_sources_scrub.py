"""Credentials out of what the sources say, and sources read one after another. Pure, fast."""

from __future__ import annotations

from collections.abc import Iterator

from scanner.sources import Page, Source, SourceProblem
from scanner.sources.chained import ChainedSource
from scanner.sources.scrub import Scrubber


def test_known_secrets_are_replaced_longest_first() -> None:
    scrub = Scrubber().with_secrets("token-1234", "token-1234-long", "short", 42)
    assert scrub.secrets == ("token-1234-long", "token-1234")  # under 8 characters, or not text: kept
    assert scrub("a token-1234-long and a token-1234 but short") == "a *** and a *** but short"


def test_a_secret_inside_a_longer_one_does_not_leave_the_longer_ones_rest() -> None:
    scrub = Scrubber().with_secrets("passwordX", "a-passwordX", "12345678")
    assert scrub("a-passwordX / passwordX / 12345678 / 1234567") == "*** / *** / *** / 1234567"


def test_url_user_info_is_scrubbed_whatever_the_scheme_and_length() -> None:
    text = "see https://u:p@host:6443/api and git+ssh://tok@x/y and http://plain/z"
    assert Scrubber()(text) == "see https://***@host:6443/api and git+ssh://***@x/y and http://plain/z"


def test_a_url_password_is_also_scrubbed_where_it_appears_alone() -> None:
    scrub = Scrubber().with_url("https://admin:s3cr%40t-pass@host").with_url("https://nopassword@host")
    assert set(scrub.secrets) == {"s3cr%40t-pass", "s3cr@t-pass"}
    assert scrub("bad password s3cr@t-pass (s3cr%40t-pass)") == "bad password *** (***)"
    assert Scrubber().with_url("http://[not-an-ip/") == Scrubber()  # unparsable: nothing learnt, no error


def test_passwords_of_several_urls_are_all_learnt() -> None:
    scrub = Scrubber().with_url_passwords(["https://a:first-password@h", "https://b:second-password@h"])
    assert scrub("first-password second-password") == "*** ***"


class _Listed(Source):
    def __init__(self, name: str, objects: int, problem: SourceProblem) -> None:
        self.description = name
        self.problems = []
        self._objects = objects
        self._problem = problem

    def pages(self) -> Iterator[Page]:
        for n in range(self._objects):
            yield Page(({"kind": "ConfigMap", "metadata": {"name": f"{self.description}-{n}"}},))
        self.problems.append(self._problem)  # known only once the source has been read


def test_chained_sources_are_read_in_order_and_pass_on_each_ones_problems_when_it_ends() -> None:
    first, second = SourceProblem("a", "one"), SourceProblem("b", "two")
    chained = ChainedSource([_Listed("cluster", 2, first), _Listed("host", 1, second)])
    assert chained.description == "cluster + host"
    seen = []
    for page in chained.pages():
        seen.append((page.objects[0]["metadata"]["name"], list(chained.problems)))
    assert seen == [("cluster-0", []), ("cluster-1", []), ("host-0", [first])]
    assert chained.problems == [first, second]
