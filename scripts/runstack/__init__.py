"""What `scripts/run_local.py` is made of: running Season Planner on one machine."""
