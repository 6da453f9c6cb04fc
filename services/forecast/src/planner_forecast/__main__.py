"""`python -m planner_forecast`: run the forecast service."""

from planner_forecast.app import create_app
from planner_forecast.settings import ForecastSettings
from planner_shared.runtime import serve

if __name__ == "__main__":
    settings = ForecastSettings()
    serve(create_app(settings), settings)
