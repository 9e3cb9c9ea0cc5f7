#!/usr/bin/env python3
"""Compares two per subject-day feature tables value by value, in units in the last place.

Matches the rows of REFERENCE.csv (e.g. NeuroEndo's features-subject-day.csv) and OURS.csv
by (subject_id, day) and compares every column present in both. Prints, per column, how
many values are exact, within 1 ulp, within 4 ulp and worse, and the worst case. Exits 1 if
a subject-day of the reference is missing from OURS.csv or any value is off by more than
4 ulp (an empty cell matches only an empty cell). Needs only the standard library.

    python3 Benchmarks/compare_features.py REFERENCE.csv OURS.csv
"""
import csv
import math
import sys

KEY = ("subject_id", "day")


def load(path):
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = {(row["subject_id"], str(int(float(row["day"])))): row for row in reader}
        return reader.fieldnames, rows


def ulps(ref: str, ours: str) -> float:
    if ref == "" or ours == "":
        return 0.0 if ref == ours else math.inf
    a, b = float(ref), float(ours)
    return 0.0 if a == b else abs(a - b) / math.ulp(a)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 64
    ref_columns, reference = load(sys.argv[1])
    our_columns, ours = load(sys.argv[2])
    columns = [c for c in ref_columns if c in our_columns and c not in KEY]
    missing = [key for key in reference if key not in ours]
    failed = bool(missing)
    print(f"{len(reference)} reference subject-days, {len(ours)} ours, {len(missing)} missing"
          + (f" (first: {missing[0]})" if missing else ""))
    for column in columns:
        counts = {"exact": 0, "1ulp": 0, "4ulp": 0, "worse": 0}
        worst = (0.0, None)
        for key, row in reference.items():
            if key not in ours:
                continue
            off = ulps(row[column], ours[key][column])
            bucket = ("exact" if off == 0 else "1ulp" if off <= 1
                      else "4ulp" if off <= 4 else "worse")
            counts[bucket] += 1
            if off > worst[0]:
                worst = (off, f"{key}: {row[column]} vs {ours[key][column]}")
        failed |= counts["worse"] > 0
        detail = f"; worst {worst[0]:.3g} ulp at {worst[1]}" if worst[1] else ""
        print(f"{column:18} exact {counts['exact']}, <=1 ulp {counts['1ulp']}, "
              f"<=4 ulp {counts['4ulp']}, worse {counts['worse']}{detail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
