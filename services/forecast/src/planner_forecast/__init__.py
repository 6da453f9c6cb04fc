"""planner_forecast."""
