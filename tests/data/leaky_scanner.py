"""The real scanner with one protection broken, for `ksbench parity --scanner` tests; LEAKY_SCANNER
says which (unset: the scanner unchanged):

- `close`: the compile cache never closes what it holds at the end of a scan (and no plan closes
  early), a P1 regression no finding shows;
- `per-object`: every rule's Rego is taken to read one object at a time (scanner.policies.reads
  bypassed), so a join without RBAC is evaluated batch by batch;
- `forget`: the inventory forgets an object's identity when it releases it, so a copy that comes
  back later (a re-list after 410, another API version) is taken as a new object;
- `nolock`: the compile cache's per-key lock does nothing, so two threads compile one key at once.
"""

import contextlib
import os
import sys
import types

import scanner.engine.cache as cache
import scanner.policies as policies
from scanner.cli import main
from scanner.engine.cache import RuleCompiler
from scanner.inventory import Inventory
from scanner.policies.reads import PER_OBJECT
from scanner.sources.objects import identity_key

MODE = os.environ.get("LEAKY_SCANNER")

if MODE == "close":
    RuleCompiler.close = lambda self: None  # type: ignore[method-assign]
    RuleCompiler.plan = lambda self, uses: None  # type: ignore[method-assign]

if MODE == "per-object":
    policies.analyse_rule = lambda source, enumerator, helpers: PER_OBJECT  # type: ignore[assignment]

if MODE == "forget":
    _release, _add = Inventory.release, Inventory.add

    def _forgetting_release(self, ids):  # type: ignore[no-untyped-def]
        ids = list(ids)
        gone = self.__dict__.setdefault("_forgotten", set())
        for rid in ids:
            obj = self.objects.get(rid)
            if obj is not None:
                self._seen.pop(identity_key(obj), None)
                gone.add(rid)
        _release(self, ids)

    def _forgetful_add(self, obj, where=""):  # type: ignore[no-untyped-def]
        # The resource ID of a released object no longer counts as seen either.
        gone = self.__dict__.get("_forgotten", set())
        saved = {rid: self.meta.pop(rid) for rid in list(gone) if rid in self.meta}
        try:
            return _add(self, obj, where)
        finally:
            for rid, meta in saved.items():
                self.meta.setdefault(rid, meta)

    Inventory.release = _forgetting_release  # type: ignore[method-assign]
    Inventory.add = _forgetful_add  # type: ignore[method-assign]

if MODE == "nolock":
    cache.threading = types.SimpleNamespace(Lock=contextlib.nullcontext)  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
