"""Studies through submitit (``robustx recipe run STUDY --launcher local|slurm``): one job per row.

- ``options``: the launcher's settings (command line + a YAML config) -> submitit parameters;
- ``job``: ``RowJob``, the callable each job runs (a ``robustx study run-row`` child process; submitit's
  checkpoint protocol forwards a preemption to it and requeues the row);
- ``row``: what ``run-row`` does inside the job, and the study files every finished row refreshes;
- ``launch``: submit the unfinished rows, wait (local) or return (slurm), write the table;
- ``status``: ``robustx study status STUDY_DIR``.

submitit is an optional dependency (``pip install 'robustx[cluster]'``), imported only here.
"""
