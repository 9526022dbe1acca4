"""Model selection: candidates compared side by side, ranked for a task, and checked on the
user's own data against honest baselines (issue 18)."""
