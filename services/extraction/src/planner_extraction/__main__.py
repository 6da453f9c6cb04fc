"""`python -m planner_extraction`: run the extraction service."""

from planner_extraction.app import create_app
from planner_extraction.settings import ExtractionSettings
from planner_shared.runtime import serve

if __name__ == "__main__":
    settings = ExtractionSettings()
    serve(create_app(settings), settings)
