"""Run the peer tools (clkhash, anonlink) on files written by benchmarks/test_linkage.py.

Runs inside benchmarks/.peers-venv (see setup_peers.sh), never imported by the project.
Usage: .peers-venv/bin/python run_peers.py TASK_JSON_FILE ; prints one JSON line of results.
The secret comes from the environment variable PEER_SECRET, never the command line.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path


def _encode(task: dict) -> dict:
    from clkhash import clk, schema

    with Path(task["schema"]).open() as f:
        linkage_schema = schema.from_json_dict(json.load(f))
    with Path(task["csv"]).open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    secret = os.environ["PEER_SECRET"]
    start = time.perf_counter()
    clks = clk.generate_clks(
        rows, linkage_schema, secret, validate=False, max_workers=task.get("workers", 1)
    )
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "records": len(clks)}
    if task.get("out"):
        with Path(task["out"]).open("wb") as f:
            for c in clks:
                f.write(c.tobytes())
    return out


def _dice(task: dict) -> dict:
    from anonlink.similarities import dice_coefficient_accelerated
    from bitarray import bitarray

    nbytes = task["bits"] // 8

    def load(path: str) -> list:
        raw = Path(path).read_bytes()
        out = []
        for i in range(0, len(raw), nbytes):
            b = bitarray(endian="big")
            b.frombytes(raw[i : i + nbytes])
            out.append(b)
        return out

    a, b = load(task["a"]), load(task["b"])
    start = time.perf_counter()
    sims, (ia, ib) = dice_coefficient_accelerated([a, b], task["threshold"])
    seconds = time.perf_counter() - start
    found = sorted(zip(map(int, ia), map(int, ib), strict=True))
    with Path(task["out"]).open("w") as f:
        json.dump({"pairs": found, "sims": [float(s) for s in sims]}, f)
    return {"seconds": seconds, "comparisons": len(a) * len(b), "pairs_found": len(found)}


def main() -> None:
    with Path(sys.argv[1]).open() as f:
        task = json.load(f)
    result = {"encode": _encode, "dice": _dice}[task["task"]](task)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
