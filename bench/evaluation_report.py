"""Time the full report of the 257,000-response campaign (bench/evaluation_data.py): reading the responses, every
score with its margin, the ranking tests and 2,000 bootstrap replicates (`reporting.compute`); the scores alone; then
the same post-stratified street scores with plain pandas and with DuckDB (bench/evaluation_limit.py, run in its own
venv under var/bench/analytics), checked to agree, and the ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_evaluation_bench .venv/bin/python bench/evaluation_report.py
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
django.setup()

from civicgrid.evaluation import reporting  # noqa: E402
from civicgrid.evaluation.models import Campaign  # noqa: E402

VAR = Path(os.environ.get("CIVICGRID_VAR_DIR", ROOT / "var")) / "bench"
RUNS = 3


def timed(work, runs: int = RUNS) -> tuple[list[float], dict]:
    seconds, result = [], {}
    for _run in range(runs):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return seconds, result


def main() -> None:
    setup = json.loads((VAR / "evaluation.json").read_text())
    campaign = Campaign.objects.get(pk=setup["campaign"])
    load = os.getloadavg()[0]
    full, report = timed(lambda: reporting.compute(campaign))
    scores, _ = timed(lambda: reporting.compute(campaign, bootstrap=False, with_progress=False))
    regions = {r["code"]: {k: r[k] for k in ("score", "se", "n", "n_effective")} for r in report["regions"]}
    (VAR / "evaluation-civicgrid.json").write_text(json.dumps(regions))
    print(f"responses: {campaign.responses.count():,}; load average before {load:.2f}")
    print(f"CivicGrid full report (2,000 bootstrap replicates): best {min(full):.2f} s, median {median(full):.2f} s")
    print(f"CivicGrid scores only (no bootstrap): best {min(scores):.2f} s, median {median(scores):.2f} s")
    limit = subprocess.run(
        [
            str(VAR / "analytics" / "bin" / "python"),
            str(ROOT / "bench" / "evaluation_limit.py"),
            "--campaign",
            str(campaign.pk),
            "--expect",
            str(VAR / "evaluation-civicgrid.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    print(limit.stdout, end="")
    figures = json.loads(limit.stdout.strip().splitlines()[-1])
    result = {
        "bench": "evaluation-report",
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "responses": campaign.responses.count(),
        "full_s": [round(s, 3) for s in full],
        "scores_s": [round(s, 3) for s in scores],
        **figures,
        "ratio_scores_to_pandas": round(min(scores) / figures["pandas_s"], 2),
        "ratio_scores_to_duckdb": round(min(scores) / figures["duckdb_s"], 2),
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }
    print(
        f"ratios (CivicGrid scores / limit): pandas {result['ratio_scores_to_pandas']}, "
        f"DuckDB {result['ratio_scores_to_duckdb']}; load after {result['load_after']:.2f}"
    )
    with (VAR / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
