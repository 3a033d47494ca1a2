"""How `make check` and rule evaluation grow with the size of one rule set, measured in one run.
Prints figures and ratios; asserts nothing about timing.

For each size (default 10, 100, 1,000 and 3,000 rules) the script copies the project's flows/,
rules/, reference/ and demo/ into a temporary folder, writes one more rule file there,
rules/bench_scale.yaml, and adds that rule set to the `checks:` of the pickup page (so the static
analysis reasons about it on both flows, as for a real rule set). Every generated rule has a
two-fact condition on declared facts and one example, in which exactly it fires:

    when: {all: [{fact: <an enum fact>, <eq|in|ne|not_in>: ...}, {fact: <an integer fact>, eq: <k>}]}
    then: refuse (one rule in three) or restrict pickup_method to [branch]

(k is different for every rule, so the example's facts make only that rule fire.)

1. load+check   load_definitions(copy): what `make check` (`python -m govflow.cli check`)
                does: pick-lists, flows, rule files, cross-references, every rule example
                evaluated by durable-rules, the static analysis. Best of --load-runs runs
                (1 for the largest sizes), in seconds, in this process; the copy without the
                generated file ("0 rules") is the baseline. With --cli, also one run of
                `python -m govflow.cli check` in a subprocess (interpreter start included).
2. evaluation   RuleBook.evaluate("bench_scale", facts) of a typical fact set (a mainland adult
                with one card and two pending applications: one rule fires), median in µs over
                --n calls after a warm-up, gc.collect() before each size.

Targets: 1,000 rules load and check in under 5 s; evaluation of 1,000 rules at most 5x that of 10.
With --profile SIZE the load+check of that size is run under cProfile and the 25 functions with
the largest cumulative time are printed (to find what grows).

Run from the repo root: .venv/bin/python bench/bench_rule_scale.py [--sizes 10,100,1000,3000] [--n 2000]
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "platform") not in sys.path:
    sys.path.insert(0, str(ROOT / "platform"))

from step_kit import code_version  # noqa: E402

from govflow.definitions import load_definitions  # noqa: E402

RULESET = "bench_scale"
PAGE_CHECKS = ("checks: [pickup]", f"checks: [pickup, {RULESET}]")    # in flows/shared/sscard_content.yaml
ENUM_FACTS = {               # declared in rules/facts.yaml (the values each enum allows)
    "identity.residency": ["mainland", "hk", "macau", "taiwan", "overseas_chinese", "foreign"],
    "identity.sex": ["male", "female"],
    "identity.id_type": ["resident_id_card", "household_register", "hk_macao_permit", "taiwan_permit",
                         "hmt_residence_permit", "passport", "foreign_pr_id"],
}
INT_FACT = "registry.pending_applications"        # an integer a look-up answers (connectors/)
TYPICAL = {"identity": {"residency": "mainland", "sex": "female", "id_type": "resident_id_card",
                        "name": "陈志明", "birth_date": "1990-05-17"},
           "registry": {"pending_applications": 2, "cards": [{"status": "正常"}]},
           "relation": {"applicant_is_subject": True},
           "form": {"pickup_method": "branch"}, "today": "2026-11-27"}
TARGET_LOAD_S = 5.0
TARGET_EVAL_RATIO = 5.0


# -- the generated rule set -----------------------------------------------------------------------

def _q(value) -> str:
    return f"'{value}'"


def rule_text(i: int) -> str:
    """Rule i: an enum test (eq / in / ne / not_in, by turns) and `eq k` on an integer fact, k
    unique to the rule (k = 2 + i: the typical facts, 2 pending, fire rule 0 only)."""
    enum_fact = list(ENUM_FACTS)[i % len(ENUM_FACTS)]
    values = ENUM_FACTS[enum_fact]
    v, w = values[i % len(values)], values[(i + 1) % len(values)]
    op = ("eq", "in", "ne", "not_in")[(i // 3) % 4]
    test = {"eq": f"eq: {_q(v)}", "in": f"in: [{_q(v)}, {_q(w)}]",
            "ne": f"ne: {_q(w)}", "not_in": f"not_in: [{_q(w)}]"}[op]
    int_fact = INT_FACT
    k = 2 + i
    given_enum = v                                        # holds for eq, in, ne w and not_in [w]
    *parent, leaf = enum_fact.split(".")
    iparent, ileaf = int_fact.split(".")
    given = f"{{{parent[0]}: {{{leaf}: {_q(given_enum)}}}, {iparent}: {{{ileaf}: {k}}}}}"
    if i % 3 == 0:
        then = f"refuse: {{message: 第{i}条：不符合线上申领条件，请到网点办理。}}"
    else:
        then = f"restrict: {{field: pickup_method, to: [branch], message: 第{i}条：请选择网点领卡。}}"
    rid = f"SC{chr(65 + i // 1000)}-{i % 1000:03d}"          # ids are PREFIX-nnn
    return (f"  - id: {rid}\n"
            f"    title: 生成的规则 {i}\n"
            f"    basis: 基准测试\n"
            f"    when: {{all: [{{fact: {enum_fact}, {test}}}, {{fact: {int_fact}, eq: {k}}}]}}\n"
            f"    then: {{{then}}}\n"
            f"    examples:\n"
            f"      - given: {given}\n"
            f"        fires: [{rid}]\n")


def make_project(base: Path, size: int) -> Path:
    """A copy of the project's definition folders with `size` generated rules (0: unchanged)."""
    root = base / f"rules-{size}"
    for folder in ("flows", "rules", "connectors", "reference", "demo"):
        shutil.copytree(ROOT / folder, root / folder)
    if size:
        body = "".join(rule_text(i) for i in range(size))
        (root / "rules" / f"{RULESET}.yaml").write_text(
            f"ruleset: {RULESET}\ntitle: 规模测试\nrules:\n{body}", encoding="utf-8")
        shared = root / "flows" / "shared" / "sscard_content.yaml"
        text = shared.read_text(encoding="utf-8")
        if PAGE_CHECKS[0] not in text:
            raise SystemExit(f"bench_rule_scale: '{PAGE_CHECKS[0]}' not found in {shared}")
        shared.write_text(text.replace(PAGE_CHECKS[0], PAGE_CHECKS[1], 1), encoding="utf-8")
    return root


# -- the measurements -----------------------------------------------------------------------------

def load_check(root: Path, runs: int):
    """(best seconds, definitions, errors) of `runs` calls of load_definitions(root)."""
    best, definitions, errors = float("inf"), None, []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        definitions, problems = load_definitions(root)
        best = min(best, time.perf_counter() - start)
        errors = [p for p in problems if p.severity == "error"]
    return best, definitions, errors


def cli_check(root: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "platform"))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "govflow.cli", "--root", str(root), "check"], env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def evaluation_us(definitions, n: int) -> tuple[float, list[str]]:
    book = definitions.rulebook
    fired = book.evaluate(RULESET, TYPICAL).ids()
    for _ in range(max(50, n // 10)):
        book.evaluate(RULESET, TYPICAL)
    gc.collect()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        book.evaluate(RULESET, TYPICAL)
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000, fired


def profile(root: Path, top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    load_definitions(root)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,3000", help="rule counts, comma-separated")
    parser.add_argument("--n", type=int, default=2000, help="evaluations per size")
    parser.add_argument("--load-runs", type=int, default=3, help="load+check runs per size up to 1,000 rules")
    parser.add_argument("--cli", action="store_true", help="also time `python -m govflow.cli check` once per size")
    parser.add_argument("--profile", type=int, metavar="SIZE", help="cProfile the load+check of SIZE rules")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    base = Path(tempfile.mkdtemp(prefix="bench-rule-scale-"))
    try:
        if args.profile:
            profile(make_project(base, args.profile))
            return
        load = os.getloadavg()
        print(f"\nbench_rule_scale: sizes {sizes}, {args.n} evaluations each; Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n{code_version()}\n")
        print(f"{'rules':>6}  {'load+check s':>12}  {'minus baseline':>14}  {'cli check s':>11}  "
              f"{'evaluate µs':>11}  fired (typical facts)")
        results: dict[int, tuple[float, float | None]] = {}
        for size in [0] + sizes:
            root = make_project(base, size)
            seconds, definitions, errors = load_check(root, args.load_runs if size <= 1000 else 1)
            if errors or definitions is None:
                print(f"{size:>6}  {seconds:12.2f}  load+check found {len(errors)} error(s), first: "
                      f"{str(errors[0])[:150] if errors else '?'}", flush=True)
                continue
            cli = f"{cli_check(root):11.2f}" if args.cli else f"{'-':>11}"
            us, fired = evaluation_us(definitions, args.n) if size else (None, [])
            results[size] = (seconds, us)
            extra = seconds - results[0][0] if 0 in results else float("nan")
            figure = f"{us:11.1f}" if us is not None else f"{'-':>11}"
            print(f"{size:>6}  {seconds:12.2f}  {extra:14.2f}  {cli}  {figure}  {fired}", flush=True)
            shutil.rmtree(root, ignore_errors=True)
        report(results)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def report(results: dict) -> None:
    print()
    sizes = sorted(s for s in results if s)
    for small, large in zip(sizes, sizes[1:], strict=False):
        (ls, le), (ss, se) = results[large], results[small]
        print(f"{small:>5} -> {large:<5} rules ({large / small:.0f}x): load+check {ls / ss:6.1f}x, "
              f"evaluation {le / se:5.2f}x")
    ok = []
    if 1000 in results:
        met = results[1000][0] < TARGET_LOAD_S
        ok.append(met)
        print(f"load+check of 1,000 rules: {results[1000][0]:.2f} s (target < {TARGET_LOAD_S:.0f} s): "
              f"{'met' if met else 'NOT met'}")
    if 10 in results and 1000 in results:
        ratio = results[1000][1] / results[10][1]
        met = ratio <= TARGET_EVAL_RATIO
        ok.append(met)
        print(f"evaluation 1,000 / 10 rules: {ratio:.2f}x (target <= {TARGET_EVAL_RATIO:.0f}x): "
              f"{'met' if met else 'NOT met'}")
    if ok:
        print(f"target met: {'yes' if all(ok) else 'no'}")


if __name__ == "__main__":
    main()
