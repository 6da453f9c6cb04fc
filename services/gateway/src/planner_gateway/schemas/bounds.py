"""The largest values PostgreSQL's integer columns hold.

A query parameter compared with such a column is bounded by it in the schema, so a larger
number is a 422 naming the parameter instead of a driver error (a 500) at the database.
"""

from __future__ import annotations

PG_INT_MAX = 2**31 - 1
"""`integer` columns (run numbers, weeks)."""

PG_BIGINT_MAX = 2**63 - 1
"""`bigint` columns (event sequence numbers) and OFFSET, which PostgreSQL takes as bigint."""
