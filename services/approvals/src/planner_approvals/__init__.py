"""planner_approvals."""
