"""planner_gateway."""
