#!/bin/bash
# Submits a NeuroEndo run as N shards (a Slurm job array) and the merge that waits for all
# of them (afterok: it does not run when a shard failed).
#
#   Deploy/slurm/submit.sh Pipelines/cohort.yml /shared/out/cohort 4
#
# Results: /shared/out/cohort/merged; each shard's log in neuroendo-shard-<job>_<k>.log.
set -euo pipefail

PIPELINE=${1:?usage: submit.sh PIPELINE OUTPUT_DIRECTORY SHARDS}
NEUROENDO_OUT=${2:?usage: submit.sh PIPELINE OUTPUT_DIRECTORY SHARDS}
SHARDS=${3:?usage: submit.sh PIPELINE OUTPUT_DIRECTORY SHARDS}
here=$(cd "$(dirname "$0")" && pwd)

array=$(sbatch --parsable --array="1-${SHARDS}" "$here/neuroendo-shard.sbatch" \
  "$PIPELINE" "$NEUROENDO_OUT")
merge=$(sbatch --parsable --dependency="afterok:${array}" "$here/neuroendo-merge.sbatch" \
  "$NEUROENDO_OUT" "$SHARDS")
echo "shards: job ${array} (${SHARDS} tasks); merge: job ${merge} -> ${NEUROENDO_OUT}/merged"
