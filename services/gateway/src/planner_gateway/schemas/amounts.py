"""The values of an approval: whole units for a manufacturing order, percent for a markdown.

Approvals store both kinds in one float column (and events carry them as floats), so a
quantity arrives as 75283.0; the gateway's answers give it back as the integer it is.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, Field, model_validator

Amount = Annotated[
    int | float,
    Field(description="Units (an integer) for a manufacturing order; percent for a markdown."),
]
AMOUNT_FIELDS = ("proposed_value", "decided_value", "min_value", "max_value")


class ApprovalAmounts(BaseModel):
    """Base of the models that answer an approval's values next to its `kind`."""

    @model_validator(mode="after")
    def _whole_units(self) -> Self:
        if getattr(self, "kind", None) != "manufacturing":
            return self
        for name in AMOUNT_FIELDS:
            value = getattr(self, name, None)
            if isinstance(value, float) and value.is_integer():
                setattr(self, name, int(value))
        return self
