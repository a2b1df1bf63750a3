"""The benchmark's table (Markdown, also put into docs/benchmarks.md) and chart (SVG), from bench/results.json's data."""
from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path

START = "<!-- bench:start (npm run bench) -->"
END = "<!-- bench:end -->"
# Where the table goes, from the project root: the one place its figures appear.
TABLE_DOC = Path("docs") / "benchmarks.md"

# (ratio key, what it compares, goal, whether the goal is met by a value)
GOALS = [
    ("serving_vs_dev_server", "requests/s: shipped image ÷ Flask development server", "≥ 3", lambda v: v >= 3),
    ("serving_vs_pgbench", "requests/s ÷ pgbench's ceiling for the same query", "≥ 0.10", lambda v: v >= 0.10),
    (
        "gevent_vs_sync_rps",
        "requests/s: shipped (gevent workers) ÷ the same image with sync workers",
        "(contrast)",
        lambda v: True,
    ),
    ("gevent_vs_sync_memory", "memory (PSS) per container: gevent ÷ sync workers", "(contrast)", lambda v: True),
    (
        "slow_clients_ok",
        "plain requests answered 200 within 2 s while 200 slow-header + 200 slow-body connections are held open",
        "≥ 0.99",
        lambda v: v >= 0.99,
    ),
    ("slow_clients_ok_sync", "the same with sync workers", "(contrast)", lambda v: True),
    (
        "recovery_after_outage_s",
        "seconds from PostgreSQL accepting connections again to the first 200, after an outage",
        "≤ 2",
        lambda v: v is not None and v <= 2,
    ),
    (
        "recovery_after_failover_s",
        "the same after a failover to a new primary at the same address (old connections dead)",
        "≤ 2",
        lambda v: v is not None and v <= 2,
    ),
    (
        "failed_2s_after_recovery",
        "requests sent 2 s or more after PostgreSQL accepted connections that did not get a 200 (both cases)",
        "0",
        lambda v: v == 0,
    ),
    (
        "partition_first_503_s",
        "seconds from the database's packets being dropped (no RST) to the first 503 with Retry-After",
        "≤ 3",
        lambda v: v is not None and v <= 3,
    ),
    (
        "partition_first_200_after_new_primary_s",
        "seconds from a new primary at the same address accepting connections to the first 200",
        "≤ 2",
        lambda v: v is not None and v <= 2,
    ),
    (
        "partition_unanswered",
        "requests with no answer within 30 s during and after the partition",
        "0",
        lambda v: v == 0,
    ),
    (
        "app_cpu_after_vs_before",
        "app CPU per request: this code ÷ the code before the serving work (same run)",
        "< 1",
        lambda v: v < 1,
    ),
    ("deep_vs_first_page", "p50: page in the last 1% ÷ first page (1M actors)", "≤ 1.3", lambda v: v <= 1.3),
    ("large_vs_small_table", "p50 first page: 1M ÷ 1k actors", "≤ 1.3", lambda v: v <= 1.3),
    ("offset_vs_keyset_deep", "database time, deep page: OFFSET ÷ keyset (contrast)", "(contrast)", lambda v: True),
    ("eval_vs_empty_k8s", "evaluation wall time: k8s program ÷ empty program", "≤ 2", lambda v: v <= 2),
    ("eval_vs_empty_heroku", "evaluation wall time: heroku program ÷ empty program", "≤ 2", lambda v: v <= 2),
    ("eval_memory_vs_empty_k8s", "evaluation peak memory: k8s ÷ empty", "≤ 2", lambda v: v <= 2),
    ("eval_memory_vs_empty_heroku", "evaluation peak memory: heroku ÷ empty", "≤ 2", lambda v: v <= 2),
    ("image_vs_python3", "image size ÷ published python:3 size", "< 0.5", lambda v: v < 0.5),
    ("rebuild_vs_cold", "rebuild after a one-line change ÷ cold build", "< 0.2", lambda v: v < 0.2),
]


def _serving(name: str, f: dict) -> str:
    line = f"{f['rps']:.0f} req/s, p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms"
    if "memory_mb" in f:
        line += f", {f['memory_mb']:.0f} MB"
    return f"| {name} | {line} |"


def _cpu(parts: dict) -> str:
    total = sum(parts.values())
    return " + ".join(f"{k} {v:.3f}" for k, v in parts.items()) + f" = {total:.3f} ms"


def table_markdown(r: dict) -> str:
    s, sc, ev, im = r["serving"], r["scale"], r["evaluation"], r["image"]
    slow, fo, pa, cb = r["slow_clients"], r["failover"], r["partition"], r["cpu_breakdown"]
    lines = [
        f"Measured {r.get('measured_at', 'in one run')} on {r['settings']['cores']} cores; wrk {r['settings']['connections']} connections, "
        f"{r['settings']['duration_s']} s per run, {r['settings'].get('rounds', 1)} alternating rounds (ratios are medians of "
        "per-round pairs); everything on 127.0.0.1. Raw figures: `bench/results.json`.",
        "",
        "| ratio | compares | value | goal | met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, what, goal, ok in GOALS:
        value = r["ratios"][key]
        lines.append(f"| `{key}` | {what} | {value} | {goal} | {'yes' if ok(value) else '**no**'} |")
    lines += [
        "",
        "| figure | value |",
        "| --- | --- |",
        _serving("shipped image (gunicorn, gevent workers); memory per container", s["shipped"]),
        _serving("same image, gunicorn sync workers", s["sync"]),
        _serving("Flask development server", s["dev_server"]),
        f"| pgbench, same query, same connections | {s['pgbench']['tps']:.0f} queries/s |",
        "| serving rounds (gevent / sync / dev server req/s) | "
        + ", ".join(
            f"{x['shipped']['rps']:.0f} / {x['sync']['rps']:.0f} / {x['dev_server']['rps']:.0f}"
            for x in s.get("rounds", [])
        )
        + " |",
        f"| CPU per request, gevent (ms) | {_cpu(s['shipped']['cpu_ms_per_request'])} |",
        f"| CPU per request, sync (ms) | {_cpu(s['sync']['cpu_ms_per_request'])} |",
        f"| CPU per query, pgbench (ms) | {_cpu(s['pgbench']['cpu_ms_per_query'])} |",
        f"| 2 cores ÷ CPU per request: the most this machine allows, gevent / pgbench | "
        f"{2000 / sum(s['shipped']['cpu_ms_per_request'].values()):.0f} / "
        f"{2000 / sum(s['pgbench']['cpu_ms_per_query'].values()):.0f} per s |",
        "| slow clients: plain requests OK within 2 s, gevent / sync | "
        f"{slow['shipped']['ok_within_2s']} of {slow['shipped']['requests']} / "
        f"{slow['sync']['ok_within_2s']} of {slow['sync']['requests']} "
        f"(slow connections held: median {slow['shipped']['slow_connections_held_median']:.0f} / "
        f"{slow['sync']['slow_connections_held_median']:.0f}; p99 of the OK ones, gevent: {slow['shipped']['p99_ms_of_ok']} ms) |",
        "| database outage / failover: 503 with Retry-After while down | "
        f"{fo['outage']['during_503_with_retry_after']} of {fo['outage']['during']} / "
        f"{fo['failover']['during_503_with_retry_after']} of {fo['failover']['during']} |",
        "| database outage / failover: after PostgreSQL accepts, requests not 200 | "
        f"{fo['outage']['failed_after_recovery']} of {fo['outage']['after']} / "
        f"{fo['failover']['failed_after_recovery']} of {fo['failover']['after']}; "
        f"workers alive throughout: {'yes' if fo['workers_alive'] else '**no**'} |",
        "| partition: 503 with Retry-After while cut off; longest wait for an answer; workers alive | "
        f"{pa['during_503_with_retry_after']} of {pa['during']}; {pa['longest_answer_s']} s; "
        f"{'yes' if pa['workers_alive'] else '**no**'} |",
        f"| first / deep page p50, 1k actors | {sc['small']['first_p50_ms']:.2f} / {sc['small']['deep_p50_ms']:.2f} ms |",
        f"| first / deep page p50, 1M actors | {sc['large']['first_p50_ms']:.2f} / {sc['large']['deep_p50_ms']:.2f} ms |",
        f"| deep page in the database, keyset / OFFSET (1M) | {sc['db_keyset_deep_ms']:.3f} / {sc['db_offset_deep_ms']:.1f} ms |",
        f"| evaluation, empty / k8s / heroku | {ev['empty']['wall_ms']:.0f} / {ev['k8s']['wall_ms']:.0f} / {ev['heroku']['wall_ms']:.0f} ms; "
        f"{ev['empty']['max_rss_mb']:.0f} / {ev['k8s']['max_rss_mb']:.0f} / {ev['heroku']['max_rss_mb']:.0f} MB peak |",
        f"| image size / python:3 | {im['size_mb']:.0f} MB / {im['python3_published_mb']} MB ([source]({im['python3_source'].split()[0]})) |",
        f"| cold build / rebuild after a one-line change | {im['cold_build_s']:.1f} s / {im['rebuild_s']:.1f} s |",
        f"| app CPU per request, before ({cb['baseline_rev']}) / after, under the same load (ms) | "
        f"{cb['before']['app_cpu_ms_per_request']:.3f} / {cb['after']['app_cpu_ms_per_request']:.3f} |",
    ]
    groups = list(dict.fromkeys([*cb["after"]["ms_per_request"], *cb["before"]["ms_per_request"]]))
    lines += [
        "",
        "| where the app's CPU per request goes (sampled in the workers; ms) | before | after |",
        "| --- | --- | --- |",
        *(
            f"| {g} | {cb['before']['ms_per_request'].get(g, 0):.3f} | {cb['after']['ms_per_request'].get(g, 0):.3f} |"
            for g in groups
        ),
    ]
    return "\n".join(lines)


def _headroom(value: float | None, goal: str) -> float | None:
    """How far a figure is from its goal, as a factor: above 1 it is met by that much, below 1 missed by that much.
    None for a contrast (no goal) or a goal of exactly 0 (met or not, no factor)."""
    import re

    m = re.match(r"^(≥|≤|<)\s*([\d.]+)$", goal)
    if not m or value is None:
        return None if value is not None or not m else 0.0
    op, bound = m.group(1), float(m.group(2))
    if op == "≥":
        return value / bound if bound else None
    return bound / value if value else float("inf")


def chart_svg(r: dict) -> str:
    """Each figure against its goal: a bar from the goal line, to the right (green) by the factor it is met by, to the
    left (red) by the factor it is missed by, on a log scale so that 1.2× and 50× both read; contrasts are listed."""
    import math

    width, bar_h, gap, label_w = 900, 20, 8, 300
    mid = label_w + (width - label_w - 200) / 2
    half = (width - label_w - 200) / 2
    limit = 100.0  # factors beyond 100× (either way) are drawn at the edge, with their value written
    x = lambda f: mid + half * max(-1.0, min(1.0, math.log10(f) / math.log10(limit)))  # noqa: E731
    height = 60 + len(GOALS) * (bar_h + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        '<text x="10" y="20" font-size="14" font-weight="bold">actors benchmarks: each figure against its goal '
        "(one run, bench/results.json)</text>",
        f'<text x="{mid - half:.0f}" y="42" fill="#666">missed by 100×</text>',
        f'<text x="{mid - 20:.0f}" y="42" fill="#666">goal</text>',
        f'<text x="{mid + half - 70:.0f}" y="42" fill="#666">met by 100×</text>',
        f'<line x1="{mid:.1f}" y1="48" x2="{mid:.1f}" y2="{height - 5}" stroke="#555"/>',
    ]
    for i, (key, _, goal, ok) in enumerate(GOALS):
        y = 52 + i * (bar_h + gap)
        value = r["ratios"].get(key)
        parts.append(f'<text x="10" y="{y + 14}">{key}</text>')
        shown = "not measured" if value is None else f"{value}"
        if goal == "(contrast)":
            parts.append(f'<text x="{mid + 6:.1f}" y="{y + 14}" fill="#666">{shown} (a contrast, no goal)</text>')
            continue
        met = value is not None and ok(value)
        colour = "#3b7d3b" if met else "#b33"
        factor = _headroom(value, goal)
        if factor is None or factor == float("inf"):
            # A goal of 0 (or a figure of 0 against an upper bound): met or missed, with no factor to draw.
            parts.append(f'<circle cx="{mid:.1f}" cy="{y + bar_h / 2}" r="6" fill="{colour}"/>')
            label_x = mid + 12
        else:
            end = x(factor) if factor > 0 else mid - half
            left, right = min(mid, end), max(mid, end)
            parts.append(
                f'<rect x="{left:.1f}" y="{y}" width="{max(right - left, 2):.1f}" height="{bar_h}" fill="{colour}"/>'
            )
            label_x = max(mid, end) + 6
        verdict = "met" if met else "missed"
        text = escape(f"{shown} (goal {goal}: {verdict})")
        parts.append(f'<text x="{label_x:.1f}" y="{y + 14}">{text}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def update_readme(readme: Path, table: str) -> None:
    """Puts the table between the markers of `readme` (TABLE_DOC)."""
    text = readme.read_text()
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0:
        raise SystemExit(f"{readme} has no benchmark markers")
    readme.write_text(text[:start] + START + "\n" + table + "\n" + text[end:])


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    results = json.loads((root / "bench" / "results.json").read_text())
    (root / "bench" / "chart.svg").write_text(chart_svg(results))
    table = table_markdown(results)
    update_readme(root / TABLE_DOC, table)
    print(table)
