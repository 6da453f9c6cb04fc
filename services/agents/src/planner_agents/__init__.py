"""planner_agents."""
