#!/usr/bin/env python3
"""NeuroEndo's CAR and diurnal slope features with polars, for `make bench`.

Reads the cohort CSV that `neuroendo-bench` generates (subject_id, day, sample,
minutes_since_waking, cortisol_nmol_l) and computes per subject-day what NeuroEndo's `car`
and `diurnal_slope` analyzers compute with their default settings: AUCg, AUCi, increase and
time to peak over the samples 0..60 min after waking; the wake-to-bed slope; the
least-squares slope of ln(cortisol) on hours since waking (and its standard error) over the
waking sample and the samples after the CAR window. Like the generator's cohort, every day
must start with its waking sample. Sums run in NeuroEndo's order (time order, left to
right), so the results agree with features-subject-day.csv to the last bit (check with
compare_features.py). Writes OUT_DIR/features.csv and prints one line: subject-days and
seconds. Optional: needs Python with polars; never part of `make test`.

    python3 Benchmarks/polars_features.py cohort.csv out/polars
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
    try:
        import polars as pl
    except ImportError:
        print("polars_features.py: needs the polars package (pip install polars)", file=sys.stderr)
        return 69

    day = ["subject_id", "day"]
    t, c = pl.col("t"), pl.col("c")
    data = (
        pl.scan_csv(source, schema_overrides={"minutes_since_waking": pl.Float64})
        .select(*day, t=pl.col("minutes_since_waking"), c=pl.col("cortisol_nmol_l"))
        .sort(*day, "t")
    )

    def total(term: pl.Expr) -> pl.Expr:
        """Adds up left to right, as NeuroEndo's loops do (polars' sum may split a group)."""
        return term.cum_sum().last()

    # CAR: the samples 0..60 min after waking, trapezoids between neighbours.
    dt, first = t - t.shift(1), c.first()
    car = data.filter(t.is_between(0, 60)).group_by(day).agg(
        car_auc_g=total(dt * (c + c.shift(1)) / 2),
        car_auc_i=total(dt * ((c - first) + (c.shift(1) - first)) / 2),
        car_increase=c.slice(1).max() - first,
        car_time_to_peak=t.get(c.arg_max()),
    )
    # Slopes: the waking sample (the first, at most 5 min after waking) and those after +60 min;
    # in stages, so that each day's means and slope are computed once.
    x, y, n, mx, my, b, r = (pl.col(name) for name in ("x", "y", "n", "mx", "my", "b", "r"))
    slope = (
        data.filter(((t == t.first()) & (t <= 5)).over(day) | (t > 60))
        .with_columns(x=t / 60, y=c.log(), n=pl.len().over(day))
        .with_columns(mx=(total(x) / n).over(day), my=(total(y) / n).over(day))
        .with_columns(b=(total((x - mx) * (y - my)) / total((x - mx) * (x - mx))).over(day))
        .with_columns(r=y - (my - b * mx) - b * x)
        .group_by(day)
        .agg(
            slope_log=b.first(),
            slope_log_se=(total(r * r) / (n.first() - 2) / total((x - mx) * (x - mx))).sqrt(),
            slope_wake_bed=(c.last() - c.first()) / ((t.last() - t.first()) / 60),
        )
    )
    result = car.join(slope, on=day).sort(day).collect()
    out.mkdir(parents=True, exist_ok=True)
    result.write_csv(out / "features.csv")
    seconds = time.perf_counter() - started
    print(f"polars {pl.__version__}: {len(result)} subject-days in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
