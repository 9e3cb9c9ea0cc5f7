#!/bin/bash
# Usage: EXTRA_SETTINGS=... EXTRA_OUTPUTS=... .ci/golden-check/run.sh NEUROENDO_BINARY SOURCE_TREE GOLDEN_DIR
# The four golden runs of Tests/neuroendoTests/GoldenRunTests.swift made with any build of
# neuroendo (an older one included), compared with the manifests in GOLDEN_DIR.

set -u
B=$1; TREE=$2; G=$3
export SOURCE_DATE_EPOCH=1773900000
BASE=$(mktemp -d /tmp/gc-XXXX)
cd $TREE
$B run Pipelines/sample.yml --out $BASE/whole >/dev/null 2>&1; echo "whole rc=$?"
python3 "$(dirname "$0")"/manifest.py $BASE/whole $BASE $G/sample.sha256
$B run Pipelines/sample.yml --out $BASE/parts --partitions 4 >/dev/null 2>&1; echo "parts rc=$?"
python3 "$(dirname "$0")"/manifest.py $BASE/parts $BASE $G/partitions.sha256
for k in 1 2 3 4; do $B run Pipelines/sample.yml --out $BASE/s$k --shard $k/4 >/dev/null 2>&1; done
$B merge $BASE/s1 $BASE/s2 $BASE/s3 $BASE/s4 --out $BASE/merged >/dev/null 2>&1; echo "merge rc=$?"
python3 "$(dirname "$0")"/manifest.py $BASE/merged $BASE $G/merged.sha256
INC=/tmp/neuroendo-golden-$(python3 -c "import uuid;print(str(uuid.uuid4()).upper())"); mkdir -p $INC
mkdir -p $INC/inbox
cat > $INC/nightly.yml <<YML
version: 1
name: golden-incremental
state: state
inputs:
  - name: FHIR inbox
    path: inbox
    glob: "*json"
    format: fhir
  - name: St Mary LIS
    path: inbox
    glob: "stmary-*.csv"
    profile: $TREE/Pipelines/profiles/lis-long.yml
    time_zone: America/New_York
settings:
$EXTRA_SETTINGS
  normalize:
    time_zone: Europe/Berlin
outputs:
  directory: out
$EXTRA_OUTPUTS
YML
cp SampleData/fhir/bulk-Observation.ndjson $INC/inbox/
$B run $INC/nightly.yml >/dev/null 2>&1
cp SampleData/fhir/hospital-export-2026-03-15.json SampleData/lis/stmary-lis-2026-03-16.csv $INC/inbox/
$B run $INC/nightly.yml >/dev/null 2>&1; echo "incremental rc=$?"
python3 "$(dirname "$0")"/manifest.py $INC/out $INC $G/incremental.sha256
