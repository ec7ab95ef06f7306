"""anomaly_lab's Hydra sweeper on Optuna 5: `hydra/sweeper=optuna`, or `hparams_search=<name>` configs that select it.

The stock hydra-optuna-sweeper needs optuna < 3 and its sqlite storage fails on SQLAlchemy 2; this one reads the
same keys (`n_trials`, `n_jobs`, `direction`, `storage`, `study_name`, `sampler`, `params`), keeps every study in a
storage so that a killed search resumes, and lets several processes share one study.
"""
