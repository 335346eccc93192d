#!/bin/bash
# A sweep on SLURM: each task of the array clones the repository, runs its share of the grid with the
# project's environment, and pushes each point as it ends (docs/scaling-out.md). Submit from anywhere:
#
#     REPO=<git URL> VENV=<the project's .venv> sbatch --array=1-N sweeps/slurm-array.sh <grid file>
#
# with the DVC remote's credentials in the environment (AWS_ACCESS_KEY_ID, ...; sbatch passes the
# environment on) and, for an S3 endpoint of your own, S3_ENDPOINT. Task k of N runs share k/N; use
# --array=1-N. A killed task loses at most the point it was running: requeue it (scontrol requeue
# JOB_k) or submit the whole array again, and the points already pushed are skipped. A task that fails
# cancels the rest of its array and names its log on its last line.
#SBATCH --job-name=parity-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
grid=${1:?give the grid file, e.g. sweeps/units-seeds.yaml}
: "${REPO:?set REPO to the git remote every task clones}" "${VENV:?set VENV to the virtual environment of the project}"
# The number of shares is the array's (SHARDS overrides it, for a resubmission of single tasks).
shards=${SHARDS:-$SLURM_ARRAY_TASK_COUNT}

on_failure() {
    local status=$? log
    log=$(scontrol show job -o "$SLURM_JOB_ID" | grep -o 'StdOut=[^ ]*' | head -1 | cut -d= -f2)
    echo "error: task $SLURM_ARRAY_TASK_ID of array $SLURM_ARRAY_JOB_ID failed (exit $status); its log: $log;" \
         "the array's other tasks are cancelled (what they pushed stays)" >&2
    for task in $(squeue -h -r -j "$SLURM_ARRAY_JOB_ID" -o %K); do  # every other task, pending or running
        [[ "$task" == "$SLURM_ARRAY_TASK_ID" ]] || scancel "${SLURM_ARRAY_JOB_ID}_$task"
    done
    exit "$status"
}
trap on_failure ERR

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$REPO" "$work/repo"
cd "$work/repo"
. "$VENV/bin/activate"
if [[ -n "${S3_ENDPOINT:-}" ]]; then
    dvc remote modify --local "$(dvc remote default)" endpointurl "$S3_ENDPOINT"
fi
# The clone's own code runs the share (python -m, from the clone), whatever checkout VENV was made from.
python -m lstm_parity sweep run --grid "$grid" --shard "$SLURM_ARRAY_TASK_ID/$shards"
