"""What /docs shows a frontend developer: examples that are real answers, endpoints described."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel

import planner_gateway.schemas
from planner_tools.testing.gateway import Gateway


def documented_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.iter_modules(planner_gateway.schemas.__path__):
        module = importlib.import_module(f"planner_gateway.schemas.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                found[cls.__name__] = cls
    return list(found.values())


def examples_of(model: type[BaseModel]) -> list[object]:
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return list(examples) if isinstance(examples, list) else []


@pytest.mark.parametrize(
    "name",
    [
        "WorkflowSummary",
        "ForecastWeekRead",
        "StoreAllocationRead",
        "CategoryVarianceRead",
        "ManufacturingOrderRead",
        "WeeklyActualsUploaded",
    ],
)
def test_response_models_document_an_example(name: str) -> None:
    [model] = [m for m in documented_models() if m.__name__ == name]
    assert examples_of(model), f"{name} documents no example"


def test_every_documented_example_is_a_valid_instance() -> None:
    checked = 0
    for model in documented_models():
        for example in examples_of(model):
            model.model_validate(example)
            checked += 1
    assert checked >= 30


async def test_the_weekly_actuals_upload_is_described(gateway: Gateway) -> None:
    spec = (await gateway.client.get("/openapi.json")).json()
    upload = spec["paths"]["/api/data/weekly-actuals"]["post"]
    description = upload["description"]
    for words in (
        "store_code",
        "units_sold",
        "one file per week",
        "**replaces**",
        "202",
        "missing_weeks",
        "incomplete_week",
        "missing_as_zero=true",
    ):
        assert words in description, words
    form = spec["components"]["schemas"][
        upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/")[-1]
    ]
    assert form["properties"]["missing_as_zero"]["default"] is False
    answer = spec["components"]["schemas"]["WeeklyActualsUploaded"]
    assert "zero_filled" in answer["properties"]


async def test_every_operation_declares_what_the_layers_around_it_answer(
    gateway: Gateway,
) -> None:
    """Issue 22: the statuses a client really gets are in the document, in its API's shape
    (schemathesis's status code check runs against the same document)."""
    spec = (await gateway.client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/") and not path.endswith("/health")
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        declared = operation["responses"]
        assert {"401", "403", "503"} <= set(declared), (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(declared), (method, path)
        error = "V1Error" if path.startswith("/api/v1/") else "ErrorResponse"
        schema = declared["503"]["content"]["application/json"]["schema"]["$ref"]
        assert schema.endswith(f"/{error}"), (method, path)
