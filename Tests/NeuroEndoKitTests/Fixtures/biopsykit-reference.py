"""Reference values for the response analyzer: BioPsyKit's saliva formulas, as numpy computes them.

BioPsyKit (mad-lab-fau/BioPsyKit, src/biopsykit/saliva/saliva.py) defines
  auc_g = trapezoid(values, times); auc_i = trapezoid(values - values[0], times);
  auc_i_post = the same as auc_i over the samples at t >= 0;
  max_inc = max(values[1:]) - values[0]; max_inc_percent = 100 * max_inc / |values[0]|;
  slope(a, b) = (values[b] - values[a]) / (times[b] - times[a]).
Run: python3 biopsykit-reference.py biopsykit/cortisol-sample.csv > biopsykit-reference.csv
"""
import csv
import sys

import numpy as np

TIMES = np.array([-30, -1, 30, 40, 50, 60, 70], dtype=float)

writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(["subject", "auc_g", "auc_i", "auc_i_post", "max_inc", "max_inc_percent", "slope_S1_S2", "slope_S0_S6"])
with open(sys.argv[1], newline="") as handle:
    for row in csv.DictReader(handle):
        values = np.array([float(row[str(i)]) for i in range(7)])
        post = TIMES >= 0
        max_inc = values[1:].max() - values[0]
        writer.writerow([
            row["subject"],
            repr(float(np.trapezoid(values, TIMES))),
            repr(float(np.trapezoid(values - values[0], TIMES))),
            repr(float(np.trapezoid(values[post] - values[post][0], TIMES[post]))),
            repr(float(max_inc)),
            repr(float(100.0 * max_inc / np.abs(values[0]))),
            repr(float(np.diff(values[[1, 2]])[0] / np.diff(TIMES[[1, 2]])[0])),
            repr(float(np.diff(values[[0, 6]])[0] / np.diff(TIMES[[0, 6]])[0])),
        ])
