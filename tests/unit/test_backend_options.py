"""Each cluster backend declares its own options once; `cluster up`, `bench` and `parity` take them from there."""

from __future__ import annotations

import argparse
import inspect

import pytest

from harness.clusters import BACKENDS, backend_options, get_backend
from harness.commands.options import add_backend_options, backend_kwargs
from harness.exit_codes import EXIT_USAGE, UsageError
from ksbench.cli import main


@pytest.mark.parametrize("name", BACKENDS)
def test_every_declared_option_is_a_keyword_of_the_backend(name: str) -> None:
    backend = get_backend(name)
    accepted = inspect.signature(type(backend)).parameters
    for option in backend_options(name):
        assert option.keyword in accepted, (name, option.flag)


def _parse(argv: list[str], *, only_up: bool) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_backend_options(parser, only_up=only_up)
    return parser.parse_args(argv)


def test_cluster_up_takes_every_option_and_passes_only_what_was_given() -> None:
    args = _parse(["--backend", "kind", "--workers", "3"], only_up=True)
    assert backend_kwargs(args, only_up=True) == {"workers": 3}
    args = _parse(["--populate", "client"], only_up=True)
    assert backend_kwargs(args, only_up=True) == {"populate": "client"}
    assert backend_kwargs(_parse([], only_up=True), only_up=True) == {}


def test_an_option_of_another_backend_is_a_usage_error() -> None:
    args = _parse(["--backend", "files", "--kubeconfig", "k"], only_up=False)
    with pytest.raises(UsageError, match="--kubeconfig is an option of --backend existing, not files"):
        backend_kwargs(args)
    args = _parse(["--backend", "existing", "--port", "1"], only_up=True)
    with pytest.raises(UsageError, match="--port is an option of --backend embedded"):
        backend_kwargs(args, only_up=True)


def test_a_bench_offers_only_the_options_that_fit_many_clusters() -> None:
    parser = argparse.ArgumentParser()
    add_backend_options(parser)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert {"--kubeconfig", "--context"} <= flags
    assert not {"--port", "--populate", "--workers"} & flags  # one port cannot serve every scenario


def test_a_flag_two_backends_declare_says_both_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cluster", "up", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "embedded: parallel creates when populating with the client (default 8); kind:" in text


def test_cluster_up_refuses_a_foreign_option_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "up", "small", "--backend", "files", "--context", "c"]) == EXIT_USAGE
    assert "--context is an option of --backend existing" in capsys.readouterr().err
