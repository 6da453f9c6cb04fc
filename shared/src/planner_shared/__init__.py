"""planner_shared."""
