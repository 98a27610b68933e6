"""The kubeconfig, checked before the kubernetes client reads it.

The client indexes whatever YAML it is given and fails with a traceback on a shape it does not
expect; this module reads each kubeconfig file within the read limits, checks the shape the
client relies on, and raises KubeconfigError with a one-line reason naming the file. It also
collects the credentials in it, so no message can print them: those written in it, and those the
client loaded through it (a `tokenFile`'s token, a credential plugin's token or client key).
Reads files only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from pathlib import Path
from typing import Any

import yaml

from scanner.decode import Meter, OverBudget, load_yaml_all
from scanner.sources.limits import DeadlineExceeded, ReadLimits, over_limits, read_bounded
from scanner.sources.scrub import Scrubber

_SECTIONS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))
# Fields of a kubeconfig user (and its auth provider) that hold credentials.
_SECRET_FIELDS = frozenset(
    {"token", "password", "client-key-data", "id-token", "refresh-token", "access-token", "client-secret"}
)


class KubeconfigError(ValueError):
    """A kubeconfig that cannot be used, with the reason."""


def kubeconfig_paths(kubeconfig: str | None) -> list[Path]:
    """The files the client would read: the one given, else $KUBECONFIG's, else ~/.kube/config."""
    if kubeconfig:
        return [Path(kubeconfig)]
    listed = os.environ.get("KUBECONFIG", "")
    if listed:
        return [Path(p) for p in listed.split(os.pathsep) if p]
    return [Path.home() / ".kube" / "config"]


def check_kubeconfig(kubeconfig: str | None, limits: ReadLimits) -> Scrubber:
    """A Scrubber for the credentials in the kubeconfig; KubeconfigError when it is malformed.

    A file that does not exist is left to the client, which says so in its own words.
    """
    scrub = Scrubber()
    for path in kubeconfig_paths(kubeconfig):
        if not path.exists():
            continue
        scrub = _check_file(path, limits, scrub)
    return scrub


def _check_file(path: Path, limits: ReadLimits, scrub: Scrubber) -> Scrubber:
    try:
        data = read_bounded(path, limits.max_file_bytes)
    except OSError as exc:
        raise KubeconfigError(f"kubeconfig {path}: cannot read: {exc.strerror or exc}") from exc
    if data is None:
        raise KubeconfigError(f"kubeconfig {path}: larger than --max-file-bytes {limits.max_file_bytes:,}")
    try:
        documents = list(load_yaml_all(data.decode("utf-8"), Meter(limits.budget())))
    except (OverBudget, DeadlineExceeded) as exc:
        raise KubeconfigError(f"kubeconfig {path}: not read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise KubeconfigError(f"kubeconfig {path}: not UTF-8 text ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KubeconfigError(f"kubeconfig {where}: malformed YAML: {problem}") from exc
    except RecursionError as exc:
        raise KubeconfigError(f"kubeconfig {path}: malformed YAML: nested too deeply") from exc
    except (ValueError, TypeError) as exc:  # PyYAML's own constructors, e.g. `!!set` on a mapping
        raise KubeconfigError(f"kubeconfig {path}: malformed YAML: {exc}") from exc
    if len(documents) > 1:
        raise KubeconfigError(f"kubeconfig {path}: {len(documents)} YAML documents, expected one")
    config: Any = documents[0] if documents else None
    why = over_limits(config, limits.max_file_bytes, limits.max_depth, "kubeconfig")
    if why:
        raise KubeconfigError(f"kubeconfig {path}: {why}")
    _check_shape(config, path)
    return scrub.with_secrets(*_secrets(config)).with_url_passwords(_servers(config))


def _check_shape(config: Any, path: Path) -> None:
    if not isinstance(config, dict):
        raise KubeconfigError(f"kubeconfig {path}: expected a mapping with clusters, contexts and users")
    for section, field in _SECTIONS:
        entries = config.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise KubeconfigError(f"kubeconfig {path}: {section} must be a list")
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise KubeconfigError(f"kubeconfig {path}: {section}[{index}] needs a name")
            if entry.get(field) is not None and not isinstance(entry[field], dict):
                raise KubeconfigError(f"kubeconfig {path}: {section}[{index}].{field} must be a mapping")
            server = (entry.get(field) or {}).get("server")
            if section == "clusters" and server is not None and not isinstance(server, str):
                raise KubeconfigError(f"kubeconfig {path}: {section}[{index}].cluster.server must be a URL")
    current = config.get("current-context")
    if current is not None and not isinstance(current, str):
        raise KubeconfigError(f"kubeconfig {path}: current-context must be a name")


def _secrets(value: Any) -> list[str]:
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                if key in _SECRET_FIELDS and isinstance(inner, str):
                    found.append(inner)
                else:
                    stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _servers(config: dict[str, Any]) -> list[str]:
    return [
        str((entry.get("cluster") or {}).get("server") or "")
        for entry in config.get("clusters") or []
        if isinstance(entry, dict)
    ]


_KEY_FILE_MAX_BYTES = 1024 * 1024  # a PEM private key is a few kilobytes


def loaded_credentials(configuration: Any) -> list[str]:
    """What the client sends or holds after reading the kubeconfig: the Authorization value and its
    token (from `token`, `tokenFile` or an exec plugin's status.token; a basic-auth password
    decoded), and the client key's lines (an exec plugin's clientKeyData lands in `key_file`)."""
    found: list[str] = []
    for value in (getattr(configuration, "api_key", None) or {}).values():
        if not isinstance(value, str):
            continue
        scheme, _, credential = value.partition(" ")
        found += [value, credential]
        if scheme.lower() == "basic":
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                found.append(base64.b64decode(credential, validate=True).decode().partition(":")[2])
    key_file = getattr(configuration, "key_file", None)
    if isinstance(key_file, str) and key_file:
        try:
            data = read_bounded(Path(key_file), _KEY_FILE_MAX_BYTES)
        except OSError:
            data = None
        if data is not None:
            text = data.decode("utf-8", "replace")
            found += [line for line in text.splitlines() if line and not line.startswith("-----")]
    return found
