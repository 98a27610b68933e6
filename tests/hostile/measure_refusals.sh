#!/bin/bash
# Peak RSS (GNU time %M) and wall time of each refused hostile input, one fresh process each.
# Usage: tests/hostile/measure_refusals.sh > docs/data/hostile-refusals.txt (needs GNU time, bc).
set -u
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
W=$(mktemp -d)
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n' > $W/pod.yaml
mkfifo $W/fifo
$PY - "$W" <<'PYEOF'
import gzip, json, sys
from pathlib import Path
w = Path(sys.argv[1])
bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [" + ", ".join([f"*{p}"] * 10) + "]\n" for p, n in zip("abcdefgh", "bcdefghi"))
(w / "bomb.yaml").write_text(bomb)
(w / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
with gzip.open(w / "big.objects.json.gz", "wb", compresslevel=1) as out:
    chunk = b" " * (1 << 20)
    for _ in range(300):
        out.write(chunk)
    out.write(b'{"items": []}')
(w / "big.toml").write_text('name = "big"\nimported = "big.objects.json.gz"\ntotal_resources = 1\n')
(w / "many.json").write_text('{"kind": "List", "items": [' + "1," * 1_000_000 + "1]}")
PYEOF
run() {
  local label=$1; shift
  /usr/bin/time -f "%M %e" -o $W/time "$@" > $W/out 2> $W/err
  local rc=$?
  read kib secs < <(tail -1 $W/time)
  printf '%-44s exit %-3s peak %6.0f MiB  %6.2f s  %s\n' "$label" "$rc" "$(echo "$kib/1024" | bc -l)" "$secs" "$(grep -v '^ksbench scan: engine\|^ksbench scan: reading\|Command exited' $W/err | tail -1 | cut -c1-110)"
}
run "scan --exceptions /dev/zero" $PY -m scanner scan $W/pod.yaml --exceptions /dev/zero --engine regorus
run "scan --exceptions FIFO" $PY -m scanner scan $W/pod.yaml --exceptions $W/fifo --engine regorus
run "scan --data-control-inputs /dev/zero" $PY -m scanner scan $W/pod.yaml --data-control-inputs /dev/zero --engine regorus
run "scan --kubeconfig FIFO" $PY -m scanner scan --kubeconfig $W/fifo --engine regorus --controls C-0057
run "scan --fail-threshold nan" $PY -m scanner scan $W/pod.yaml --fail-threshold nan --engine regorus
run "scan, 1,000,001 bad list items (report)" $PY -m scanner scan $W/pod.yaml $W/many.json --engine regorus --controls C-0057 --format json --output $W/report.json
ls -l $W/report.json | awk '{printf "    report.json: %d bytes\n", $5}'
run "scenario import: 700-byte alias bomb" $PY -m ksbench scenario import $W/bomb.yaml --name x --scenarios-dir $W/s
run "scenario import: JSON nested 100,000 deep" $PY -m ksbench scenario import $W/deep.json --name x --scenarios-dir $W/s
run "scenario stats: 300 MiB gzip bomb" $PY -m ksbench scenario stats $W/big.toml
run "gate FIFO" $PY -m ksbench gate $W/fifo
run "gate /dev/zero" $PY -m ksbench gate /dev/zero
rm -rf $W
