"""A/B of serving throughput: the app at a git revision against the working tree, in alternating rounds.

Usage: /usr/bin/python3 bench/ab.py REV [ROUNDS]   (e.g. bench/ab.py HEAD~1; ROUNDS defaults to 3)
Prints each round's requests/s for both images and the medians. Same machine, same database, back to back.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402
from pgserver import PgServer  # noqa: E402
from podman import build  # noqa: E402


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    rev, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory(prefix="actors-ab-") as tmp:
        archive = subprocess.run(["git", "archive", rev, "app"], cwd=bench.ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        images = {"a": ("localhost/actors:ab-a", Path(tmp) / "app"), "b": ("localhost/actors:ab-b", bench.ROOT / "app")}
        for tag, context in images.values():
            build(tag, context=context)
        rps: dict[str, list[float]] = {"a": [], "b": []}
        with PgServer() as pg:
            bench.IMAGE = images["b"][0]
            url = bench.create_db(pg, "ab", 1000)
            for _ in range(rounds):
                for side, (tag, _context) in images.items():
                    bench.IMAGE = tag
                    app = bench.App(url)
                    try:
                        bench.wrk(f"{app.base}/api/actors?limit=25", duration=2)
                        rps[side].append(bench.wrk(f"{app.base}/api/actors?limit=25")["rps"])
                    finally:
                        app.stop()
    result = {
        f"{rev} (a)": rps["a"],
        "working tree (b)": rps["b"],
        "median_a": statistics.median(rps["a"]),
        "median_b": statistics.median(rps["b"]),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
