#!/usr/bin/env bash
# The issue-10 acceptance run, on smoke data: a 20-trial gw study killed mid-way and resumed from its sqlite file,
# then two processes sharing one 20-trial study; the state counts are read back from the studies.
#   bash experiments/sweeps/run_demo.sh <scratch dir>      (3.5 minutes on 2 CPU cores)
set -euo pipefail
OUT=${1:?scratch dir}
mkdir -p "$OUT"
export WANDB_MODE=offline
PY=${PY:-.venv/bin/python}
SEARCH=(-m experiment=gw_cnnae debug=smoke hparams_search=gw_optuna hydra.sweeper.n_trials=20)

count() {  # complete + pruned trials of a study in a sqlite file
  $PY - "$1" "$2" <<'PY'
import sys, optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
s = optuna.load_study(study_name=sys.argv[2], storage=f"sqlite:///{sys.argv[1]}")
states = [t.state.name for t in s.trials]
done = [t for t in s.trials if t.state.name in ("COMPLETE", "PRUNED")]
params = [tuple(sorted(t.params.items())) for t in done]
print(f"{sys.argv[2]}: {len(done)} complete or pruned, states {dict((k, states.count(k)) for k in sorted(set(states)))}, "
      f"distinct trial numbers {len({t.number for t in done})}, best value {s.best_value:.4f} (trial {s.best_trial.number})")
PY
}

# 1. killed mid-way, then resumed by rerunning the same command
export ANOMALY_LAB_ROOT=$OUT/resume
DB=$ANOMALY_LAB_ROOT/logs/gw_cnnae_aligo/optuna.db
$PY -m anomaly_lab "${SEARCH[@]}" hydra.sweeper.study_name=resume20 > "$OUT/resume_first.log" 2>&1 &
PID=$!
start=$(date +%s)
until [ -f "$DB" ] && [ "$($PY -c "import optuna,sys; optuna.logging.set_verbosity(30); s=optuna.load_study(study_name='resume20', storage='sqlite:///$DB'); print(sum(t.state.name=='COMPLETE' for t in s.trials))" 2>/dev/null || echo 0)" -ge 8 ]; do
  kill -0 $PID 2>/dev/null || { echo "the search ended before the kill: see $OUT/resume_first.log"; exit 1; }
  sleep 1
done
kill -9 $PID; wait $PID || true
echo "killed after $(( $(date +%s) - start )) s: $(count "$DB" resume20)"
start=$(date +%s)
$PY -m anomaly_lab "${SEARCH[@]}" hydra.sweeper.study_name=resume20 > "$OUT/resume_second.log" 2>&1
echo "resumed in $(( $(date +%s) - start )) s: $(count "$DB" resume20)"
# 2. two processes started at once on one study
export ANOMALY_LAB_ROOT=$OUT/shared
DB=$ANOMALY_LAB_ROOT/logs/gw_cnnae_aligo/optuna.db
start=$(date +%s)
$PY -m anomaly_lab "${SEARCH[@]}" hydra.sweeper.study_name=shared20 > "$OUT/shared_a.log" 2>&1 &
A=$!
$PY -m anomaly_lab "${SEARCH[@]}" hydra.sweeper.study_name=shared20 > "$OUT/shared_b.log" 2>&1 &
B=$!
wait $A $B
echo "two processes in $(( $(date +%s) - start )) s: $(count "$DB" shared20)"
trials() { grep -oh "run directory: .*" "$1" | awk -F/ '{print $NF}' | sort -u | wc -l; }
echo "trial runs with results: $(ls "$ANOMALY_LAB_ROOT"/logs/gw_cnnae_aligo/multiruns/*/trial_*/metrics.json | wc -l), run by process A: $(trials "$OUT/shared_a.log"), by B: $(trials "$OUT/shared_b.log"), by both: $(comm -12 <(grep -oh "run directory: .*" "$OUT/shared_a.log" | sort -u) <(grep -oh "run directory: .*" "$OUT/shared_b.log" | sort -u) | wc -l)"
