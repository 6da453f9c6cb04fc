"""planner_extraction."""
