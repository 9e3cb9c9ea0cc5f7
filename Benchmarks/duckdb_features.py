#!/usr/bin/env python3
"""NeuroEndo's CAR and diurnal slope features in one DuckDB query, for `make bench`.

Reads the cohort CSV that `neuroendo-bench` generates (subject_id, day, sample,
minutes_since_waking, cortisol_nmol_l) and computes per subject-day what NeuroEndo's `car`
and `diurnal_slope` analyzers compute with their default settings: AUCg, AUCi, increase and
time to peak over the samples 0..60 min after waking; the wake-to-bed slope; the
least-squares slope of ln(cortisol) on hours since waking (and its standard error) over the
waking sample and the samples after the CAR window. Like the generator's cohort, every day
must start with its waking sample. Sums run in NeuroEndo's order (time order, left to
right), so the results agree with features-subject-day.csv to the last bit (check with
compare_features.py). Writes OUT_DIR/features.csv and prints one line: subject-days and
seconds. Optional: needs Python with duckdb; never part of `make test`.

    python3 Benchmarks/duckdb_features.py cohort.csv out/duckdb
"""
import sys
import time
from pathlib import Path

QUERY = """
-- DuckDB's sum() adds in any order, a list ordered by time and folded left does not.
CREATE MACRO total(terms) AS list_reduce(terms, lambda a, b: a + b);
CREATE TABLE samples AS
  SELECT subject_id, day, minutes_since_waking AS t, cortisol_nmol_l AS c
  FROM read_csv($source, types = {'minutes_since_waking': DOUBLE, 'cortisol_nmol_l': DOUBLE});
COPY (
  WITH car AS (  -- the samples 0..60 min after waking, each with its left neighbour
    SELECT *, lag(t) OVER w AS t0, lag(c) OVER w AS c0, first_value(c) OVER w AS c1
    FROM samples WHERE t BETWEEN 0 AND 60
    WINDOW w AS (PARTITION BY subject_id, day ORDER BY t)
  ), car_day AS (
    SELECT subject_id, day,
      total(list((t - t0) * (c + c0) / 2 ORDER BY t) FILTER (t0 IS NOT NULL)) AS car_auc_g,
      total(list((t - t0) * ((c - c1) + (c0 - c1)) / 2 ORDER BY t) FILTER (t0 IS NOT NULL))
        AS car_auc_i,
      max(c) FILTER (t0 IS NOT NULL) - any_value(c1) AS car_increase,
      list(t ORDER BY c DESC, t)[1] AS car_time_to_peak  -- the first of equal peaks
    FROM car GROUP BY subject_id, day
  ), slope_day AS (  -- the waking sample (first, <= 5 min) and the samples after +60 min
    SELECT subject_id, day, list(t ORDER BY t) AS ts, list(c ORDER BY t) AS cs,
      list_transform(ts, lambda v: v / 60) AS xs, list_transform(cs, lambda v: ln(v)) AS ys
    FROM (SELECT *, row_number() OVER (PARTITION BY subject_id, day ORDER BY t) AS k FROM samples)
    WHERE (k = 1 AND t <= 5) OR t > 60
    GROUP BY subject_id, day
  ), means AS (
    SELECT *, total(xs) / len(xs) AS mx, total(ys) / len(ys) AS my FROM slope_day
  ), fit AS (
    SELECT *, total(list_transform(xs, lambda x: (x - mx) * (x - mx))) AS sxx,
      total(list_transform(xs, lambda x, i: (x - mx) * (ys[i] - my))) / sxx AS b
    FROM means
  ), residuals AS (
    SELECT *, list_transform(xs, lambda x, i: ys[i] - (my - b * mx) - b * x) AS rs FROM fit
  )
  SELECT subject_id, day, car_auc_g, car_auc_i, car_increase, car_time_to_peak,
    b AS slope_log, sqrt(total(list_transform(rs, lambda r: r * r)) / (len(xs) - 2) / sxx)
      AS slope_log_se,
    (cs[-1] - cs[1]) / ((ts[-1] - ts[1]) / 60) AS slope_wake_bed
  FROM car_day JOIN residuals USING (subject_id, day)
  ORDER BY subject_id, day
) TO $target (HEADER);
"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 64
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    try:
        import duckdb
    except ImportError:
        print("duckdb_features.py: needs the duckdb package (pip install duckdb)", file=sys.stderr)
        return 69
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    paths = {"source": str(source), "target": str(out / "features.csv")}
    for statement in QUERY.split(";")[:-1]:  # COPY, the last, answers the rows it wrote
        result = con.execute(statement, {k: v for k, v in paths.items() if f"${k}" in statement})
    days = result.fetchall()[0][0]
    seconds = time.perf_counter() - started
    print(f"duckdb {duckdb.__version__}: {days} subject-days in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
