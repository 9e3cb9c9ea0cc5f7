#!/usr/bin/env python3
"""BioPsyKit's fast saliva features over a NeuroEndo research long export, for `make bench`.

Reads the cohort CSV that `neuroendo-bench` generates (subject_id, day, sample,
minutes_since_waking, cortisol_nmol_l), builds BioPsyKit's saliva raw data frame (index
subject, day, sample; columns cortisol and time) and computes AUC (AUCg, AUCi), the maximum
increase and the slope from the first to the last sample with biopsykit.saliva, as a
BioPsyKit user would. Writes the three feature tables as CSV into OUT_DIR and prints one
line: subject-days and seconds. Optional: needs Python with biopsykit==0.14.0; never part of
`make test`.

    python3 Benchmarks/biopsykit_features.py cohort.csv out/biopsykit
"""
import sys
import time
from pathlib import Path


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 64
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    import pandas as pd
    import biopsykit as bp

    data = pd.read_csv(source)
    data = data.rename(
        columns={
            "subject_id": "subject",
            "minutes_since_waking": "time",
            "cortisol_nmol_l": "cortisol",
        }
    ).set_index(["subject", "day", "sample"])
    data = data[["cortisol", "time"]]
    samples_per_day = int(data.groupby(["subject", "day"]).size().max())
    auc = bp.saliva.auc(data, saliva_type="cortisol")
    increase = bp.saliva.max_increase(data, saliva_type="cortisol")
    slope = bp.saliva.slope(data, sample_idx=[0, samples_per_day - 1], saliva_type="cortisol")
    out.mkdir(parents=True, exist_ok=True)
    auc.to_csv(out / "auc.csv")
    increase.to_csv(out / "max_increase.csv")
    slope.to_csv(out / "slope.csv")
    seconds = time.perf_counter() - started
    print(f"biopsykit {bp.__version__}: {len(auc)} subject-days in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
