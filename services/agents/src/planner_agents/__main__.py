"""`python -m planner_agents`: run the agents service."""

from planner_agents.app import create_app
from planner_agents.settings import AgentsSettings
from planner_shared.runtime import serve

if __name__ == "__main__":
    settings = AgentsSettings()
    serve(create_app(settings), settings)
