"""`python -m planner_approvals`: run the approvals service."""

from planner_approvals.app import create_app
from planner_approvals.settings import ApprovalsSettings
from planner_shared.runtime import serve

if __name__ == "__main__":
    settings = ApprovalsSettings()
    serve(create_app(settings), settings)
