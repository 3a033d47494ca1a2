"""Figures for the engine's hot paths: rule evaluation (durable-rules vs plain Python), page
validation, and one whole adult application over the API. Prints numbers; asserts nothing.

Run: .venv/bin/python bench/bench_engine.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from govflow.definitions import load_definitions  # noqa: E402
from govflow.journey import validate_page  # noqa: E402

FACTS = {"identity": {"residency": "mainland", "id_type": "resident_id_card", "birth_date": date(1988, 5, 12)},
         "registry": {"pending_applications": 0, "cards": [{"status": "正常"}]}, "today": date(2026, 11, 27),
         "form": {"valid_from": date(2020, 3, 1), "valid_to": date(2040, 3, 1), "long_term": False,
                  "issuing_city": "440100", "pickup_method": "branch", "document_set": "id_card"}}


def timed(fn, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6, statistics.quantiles(samples, n=20)[-1] * 1e6


def main() -> None:
    start = time.perf_counter()
    definitions, _ = load_definitions(ROOT)
    print(f"load definitions (flows, rules, pick-lists, examples): {(time.perf_counter() - start) * 1000:.0f} ms")
    book = definitions.rulebook
    print("\nrule evaluation, median / p95 µs per call (2,000 calls):")
    for name in book.rulesets:
        if name == "facts":
            continue
        book.evaluate(name, FACTS)
        durable = timed(lambda name=name: book.evaluate(name, FACTS), 2000)
        plain = timed(lambda name=name: book.evaluate_plain(name, FACTS), 2000)
        print(f"  {name:12} durable {durable[0]:7.1f} / {durable[1]:7.1f}   plain {plain[0]:6.1f} / {plain[1]:6.1f}")

    from govflow.journey import Env
    from walkers import ADULT_INFO
    env = Env(definitions.flows, definitions.picklists, book, services=None, store=None)
    flow = definitions.flows["sscard_adult"]
    data = {**ADULT_INFO, "insurance_type": "PENSION_ENTERPRISE", "mobile": "13800138001", "mobile_code": "123456"}
    med, p95 = timed(lambda: validate_page(env, flow, flow.page("info"), data), 500)
    print(f"\nvalidate the info page (17 fields, stateless): median {med:.0f} µs, p95 {p95:.0f} µs")

    from apptools import make_app
    from walkers import ApiWalker
    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        walks = []
        for i in range(20):     # a fresh simulated world each time (SMS limits are per phone)
            app = make_app(Path(tmp) / str(i), definitions)
            walker = ApiWalker(app.test_client(), app)
            start = time.perf_counter()
            walker.walk_to_confirm()
            walker.act("confirm", "submit")
            walks.append(time.perf_counter() - start)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"whole adult application over the API (7 pages, uploads, SMS, submit): "
          f"median {statistics.median(walks) * 1000:.0f} ms; traced memory after 20 walks {current / 1e6:.1f} MB "
          f"(peak {peak / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
