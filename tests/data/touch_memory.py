"""Touches a known number of bytes, then exits: `python touch_memory.py MIB`."""

import sys

block = bytearray(int(sys.argv[1]) * 1024 * 1024)
# bytearray() zero-fills through calloc, which may map untouched pages: write one byte per page.
for offset in range(0, len(block), 4096):
    block[offset] = 1
