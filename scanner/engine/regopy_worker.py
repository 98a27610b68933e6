"""The regopy worker: a child process that owns rego-cpp interpreters, so their crashes stay here.

Started by scanner.engine.regopy_engine as a script (`python -P regopy_worker.py`); imports only
the standard library and regopy, and parses no rule output (the parent does). Must not import
the scanner.

Frames, both ways: one JSON header line, then `header["size"]` bytes of payload.
  → {"op": "compile", "id", "query"} + {"modules", "data"}   ← {"ok"} | {"compile_error"} + text
    (parses the modules and loads the data; rego-cpp plans the query when it first runs it)
  → {"op": "evaluate", "id"} + input JSON                    ← {"ok"} | {"raised"} | {"unknown"} + text
  → {"op": "drop", "id"}                                     ← {}
The first frame after start-up is {"ready": true, "version"} or {"startup_error"} + text.
"""

from __future__ import annotations

import json
import os
import sys
from collections import OrderedDict
from typing import IO, Any

INTERPRETERS_KEPT = 32  # compiled rules a worker keeps; the parent recompiles an evicted one on demand


def _send(out: IO[bytes], header: dict[str, Any], payload: bytes = b"") -> None:
    out.write(json.dumps({**header, "size": len(payload)}).encode() + b"\n" + payload)
    out.flush()


def _query(rego_shared: Any, interpreter: Any, query: str) -> tuple[bool, str]:
    """(ok, output text) of one query; the Output wrapper is bypassed because it fails on error text."""
    impl = rego_shared.rego_query(interpreter._impl, query)
    try:
        return bool(rego_shared.rego_output_ok(impl)), rego_shared.rego_output_string(impl)
    finally:
        rego_shared.rego_free_output(impl)


def main() -> int:
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # rego-cpp prints parse errors on stdout; keep them off the frame channel
    inp = sys.stdin.buffer
    try:
        import regopy
        from regopy import rego_shared
    except Exception as exc:
        _send(out, {"startup_error": True}, repr(exc).encode())
        return 1
    _send(out, {"ready": True, "version": regopy.__version__})
    compiled: OrderedDict[int, tuple[Any, str]] = OrderedDict()
    while True:
        line = inp.readline()
        if not line:
            return 0
        header = json.loads(line)
        payload = inp.read(header["size"]) if header["size"] else b""
        op, rule_id = header["op"], header["id"]
        if op == "drop":
            compiled.pop(rule_id, None)
            _send(out, {})
        elif op == "compile":
            spec = json.loads(payload)
            interpreter = regopy.Interpreter()
            try:
                for name, source in spec["modules"].items():
                    interpreter.add_module(name, source)
                if spec["data"]:
                    interpreter.add_data_json(json.dumps(spec["data"]))
            except regopy.RegoError as exc:
                _send(out, {"compile_error": True}, str(exc).encode())
                continue
            compiled[rule_id] = (interpreter, header["query"])
            while len(compiled) > INTERPRETERS_KEPT:
                compiled.popitem(last=False)
            _send(out, {"ok": True})
        elif op == "evaluate":
            entry = compiled.get(rule_id)
            if entry is None:
                _send(out, {"unknown": True})
                continue
            compiled.move_to_end(rule_id)
            interpreter, query = entry
            try:
                interpreter.set_input_term(payload.decode())
                ok, text = _query(rego_shared, interpreter, query)
            except regopy.RegoError as exc:
                _send(out, {"raised": True}, str(exc).encode())
                continue
            _send(out, {"ok": ok}, text.encode())
        else:
            _send(out, {"raised": True}, f"unknown op {op!r}".encode())


if __name__ == "__main__":
    sys.exit(main())
