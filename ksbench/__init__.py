"""The `ksbench` command: the scanner's CLI (`ksbench scan`) and the harness's commands under one name.

The composition root of the two packages; neither scanner nor harness imports it.
"""
