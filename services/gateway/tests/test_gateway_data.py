"""CSV uploads through the ASGI app: stored whole or not at all, never double counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import redis.asyncio as aioredis
from sqlalchemy import func, select

from planner_gateway.api.data import MULTIPART_ALLOWANCE
from planner_gateway.settings import GatewaySettings
from planner_shared.bus.streams import stream_for
from planner_shared.db.models import (
    ActualsUpload,
    Category,
    HistoricalSale,
    OutboxMessage,
    Store,
    WeeklyActual,
)
from planner_shared.events import ActualsUploaded
from planner_tools.testing.gateway import (
    APPROVER,
    PLANNER,
    Gateway,
    Sessions,
    count,
    events_on,
    new_workflow,
    seed_reference,
    wait_until,
)

WEEK_STARTS = {1: "2027-03-01", 2: "2027-03-08", 3: "2027-03-15"}


# Every store and category `seed_reference` loads: a week's file must cover them all.
STORES = ("S001", "S002", "S003")
CATEGORIES = ("DRESS", "KNIT")
PAIRS = len(STORES) * len(CATEGORIES)


def week_csv(
    week: int, units: int = 10, *, leave_out: frozenset[tuple[str, str]] = frozenset()
) -> bytes:
    rows = [
        f"{store},{category},{week},{WEEK_STARTS[week]},{units}"
        for store in STORES
        for category in CATEGORIES
        if (store, category) not in leave_out
    ]
    return (
        "store_code,category_code,week_number,week_start,units_sold\n" + "\n".join(rows)
    ).encode()


async def upload_week(
    gateway: Gateway,
    workflow_id: UUID | str,
    content: bytes,
    *,
    headers: dict[str, str] = PLANNER,
    filename: str = "week.csv",
    week_number: int | None = None,
    missing_as_zero: str | None = None,
) -> tuple[int, dict[str, object]]:
    data = {"workflow_id": str(workflow_id)}
    if week_number is not None:
        data["week_number"] = str(week_number)
    if missing_as_zero is not None:
        data["missing_as_zero"] = missing_as_zero
    response = await gateway.client.post(
        "/api/data/weekly-actuals",
        data=data,
        files={"file": (filename, content, "text/csv")},
        headers=headers,
    )
    return response.status_code, response.json()


async def stored_units(sessionmaker: Sessions, workflow_id: UUID) -> int:
    async with sessionmaker() as session:
        total = await session.scalar(
            select(func.sum(WeeklyActual.units_sold)).where(WeeklyActual.workflow_id == workflow_id)
        )
    return int(total or 0)


async def test_a_week_is_stored_and_announced(
    gateway: Gateway,
    gateway_settings: GatewaySettings,
    sessionmaker: Sessions,
    redis_client: aioredis.Redis,
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")

    status, body = await upload_week(gateway, workflow_id, week_csv(1, 7), filename="week_01.csv")

    assert status == 202, body
    assert body["week_number"] == 1
    assert body["row_count"] == PAIRS
    assert body["units_sold"] == 7 * PAIRS
    assert body["zero_filled"] == 0
    assert body["replaced_previous"] is False
    assert body["variance_url"] == f"/api/workflows/{workflow_id}/variance?week=1"
    assert body["file"] == {
        "filename": "week_01.csv",
        "size_bytes": len(week_csv(1, 7)),
        "sha256": body["file"]["sha256"],
        "delimiter": "comma",
        "had_bom": False,
        "row_count": PAIRS,
    }
    assert await stored_units(sessionmaker, workflow_id) == 7 * PAIRS
    stream = stream_for(gateway_settings, ActualsUploaded)

    async def announced() -> bool:
        return any(
            str(e.event_id) == body["event_id"] for e in await events_on(redis_client, stream)
        )

    await wait_until(announced)
    [event] = await events_on(redis_client, stream)
    assert isinstance(event, ActualsUploaded)
    assert event.workflow_id == workflow_id
    assert event.payload.week_number == 1
    assert event.payload.uploaded_by == "pat"
    assert str(event.payload.upload_id) == body["upload_id"]


async def test_the_same_week_twice_replaces_instead_of_adding(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    assert (await upload_week(gateway, workflow_id, week_csv(1, 5)))[0] == 202

    status, again = await upload_week(gateway, workflow_id, week_csv(1, 5))
    assert status == 202
    assert again["replaced_previous"] is True
    assert again["same_as_previous"] is True
    assert again["replaced_rows"] == PAIRS
    assert await stored_units(sessionmaker, workflow_id) == 5 * PAIRS

    # A corrected file replaces the week's numbers.
    status, corrected = await upload_week(gateway, workflow_id, week_csv(1, 6))
    assert status == 202
    assert corrected["same_as_previous"] is False
    assert await stored_units(sessionmaker, workflow_id) == 6 * PAIRS
    assert await count(sessionmaker, WeeklyActual) == PAIRS
    assert await count(sessionmaker, ActualsUpload) == 3


async def test_semicolons_and_a_bom_are_detected(gateway: Gateway, sessionmaker: Sessions) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    content = b"\xef\xbb\xbf" + week_csv(1, 3).replace(b",", b";")

    status, body = await upload_week(gateway, workflow_id, content)

    assert status == 202, body
    assert body["file"]["delimiter"] == "semicolon"
    assert body["file"]["had_bom"] is True
    assert await stored_units(sessionmaker, workflow_id) == 3 * PAIRS


async def assert_nothing_stored(sessionmaker: Sessions, workflow_id: UUID, units: int = 0) -> None:
    assert await stored_units(sessionmaker, workflow_id) == units
    async with sessionmaker() as session:
        outbox = (await session.scalars(select(OutboxMessage.type))).all()
    assert "actuals.uploaded" not in outbox or units > 0


async def test_bad_files_name_row_column_and_reason_and_store_nothing(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    header = "store_code,category_code,week_number,week_start,units_sold\n"
    cases: list[tuple[bytes, int | None, str | None, str]] = [
        (b"store,qty\nS001,4\n", None, None, "missing"),
        ((header + "S001,DRESS,1,2027-03-01,-4\n").encode(), 2, "units_sold", ""),
        (
            (header + "S001,DRESS,1,2027-03-01,4\nS001,KNIT,1,2027-03-01,lots\n").encode(),
            3,
            "units_sold",
            "",
        ),
        ((header + "S999,DRESS,1,2027-03-01,4\n").encode(), 2, "store_code", "S999"),
        ((header + "S001,SHOES,1,2027-03-01,4\n").encode(), 2, "category_code", "SHOES"),
        ((header + "S001,DRESS,1,2027-03-08,4\n").encode(), 2, "week_start", "2027-03-01"),
        (
            (header + "S001,DRESS,1,2027-03-01,4\nS001,DRESS,1,2027-03-01,5\n").encode(),
            None,
            None,
            "as row 2",
        ),
        ((header + "S001,DRESS,13,2027-05-24,4\n").encode(), 2, "week_number", "12-week"),
        (b"", None, None, ""),
    ]
    for content, row, column, words in cases:
        status, body = await upload_week(gateway, workflow_id, content)
        assert status == 422, (content, body)
        error = body["error"]
        assert isinstance(error, dict)
        assert error["code"] == "invalid_csv", body
        assert "nothing was stored" in error["message"]
        assert words.lower() in str(body).lower(), body
        if row is not None or column is not None:
            assert any(
                d.get("row") == row and d.get("column") == column for d in error["details"]
            ), body
    await assert_nothing_stored(sessionmaker, workflow_id)


async def test_every_kind_of_error_in_a_file_comes_back_in_one_answer(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    """Unreadable values, a repeated row, an unknown store and an unknown category: one
    upload names all of them (not the values first and the codes after those are fixed)."""
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    header = "store_code,category_code,week_number,week_start,units_sold\n"
    rows = [
        "S001,DRESS,1,2027-03-01,-4",  # row 2: negative units
        "S001,KNIT,one,2027-03-01,4",  # row 3: a week that is not a number
        "S002,DRESS,1,2027-03-01,4",
        "S002,DRESS,1,2027-03-01,5",  # row 5: the same as row 4
        "S999,KNIT,1,2027-03-01,4",  # row 6: unknown store
        "S003,HATS,1,2027-03-01,4",  # row 7: unknown category
    ]
    status, body = await upload_week(gateway, workflow_id, (header + "\n".join(rows)).encode())
    assert status == 422, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "invalid_csv"
    found = {(d["row"], d["column"]) for d in error["details"]}
    assert {
        (2, "units_sold"),
        (3, "week_number"),
        (5, "store_code, category_code, week_number"),
        (6, "store_code"),
        (7, "category_code"),
    } <= found, error["details"]
    await assert_nothing_stored(sessionmaker, workflow_id)


async def test_oversize_unknown_workflow_wrong_role_and_state_are_refused(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    big = week_csv(1) + b"\n" * (64 * 1024)
    status, body = await upload_week(gateway, workflow_id, big)
    assert status == 413, body
    assert "limit" in str(body)

    status, body = await upload_week(gateway, uuid4(), week_csv(1))
    assert status == 404, body

    status, body = await upload_week(gateway, workflow_id, week_csv(1), headers=APPROVER)
    assert status == 403, body
    assert "planner or operator role" in str(body)

    status, body = await upload_week(gateway, "not-a-uuid", week_csv(1))
    assert status == 422, body
    assert body["error"]["details"][0]["field"] == "workflow_id"

    early = await new_workflow(sessionmaker, "awaiting_manufacturing_approval")
    status, body = await upload_week(gateway, early, week_csv(1))
    assert status == 409, body
    assert body["error"]["message"] == (
        f"workflow {early} is awaiting_manufacturing_approval; an upload of weekly actuals "
        "needs in_season, reforecasting or awaiting_markdown_approval; actuals are accepted "
        "once the manufacturing order is approved and allocated"
    )

    done = await new_workflow(sessionmaker, "completed")
    status, body = await upload_week(gateway, done, week_csv(1))
    assert status == 409, body
    assert body["error"]["message"].startswith(
        f"workflow {done} is completed; an upload of weekly actuals needs in_season"
    )
    for wid in (workflow_id, early, done):
        await assert_nothing_stored(sessionmaker, wid)


async def test_a_week_may_not_skip_an_earlier_one(gateway: Gateway, sessionmaker: Sessions) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")

    status, body = await upload_week(gateway, workflow_id, week_csv(3))
    assert status == 409, body
    assert body["error"]["code"] == "missing_weeks"
    assert "week 1, 2" in str(body)
    await assert_nothing_stored(sessionmaker, workflow_id)

    assert (await upload_week(gateway, workflow_id, week_csv(1)))[0] == 202
    assert (await upload_week(gateway, workflow_id, week_csv(2)))[0] == 202
    assert (await upload_week(gateway, workflow_id, week_csv(3)))[0] == 202
    # Re-uploading an earlier week stays possible.
    assert (await upload_week(gateway, workflow_id, week_csv(1, 11)))[0] == 202
    assert await stored_units(sessionmaker, workflow_id) == PAIRS * 11 + 2 * PAIRS * 10


async def stored_week(sessionmaker: Sessions, workflow_id: UUID) -> dict[tuple[str, str], int]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Store.code, Category.code, WeeklyActual.units_sold)
            .join(Store, Store.id == WeeklyActual.store_id)
            .join(Category, Category.id == WeeklyActual.category_id)
            .where(WeeklyActual.workflow_id == workflow_id)
        )
    return {(store, category): units for store, category, units in rows.all()}


async def test_a_partial_week_is_refused_naming_what_is_missing(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    assert (await upload_week(gateway, workflow_id, week_csv(1, 5)))[0] == 202
    one_row = b"store_code,category_code,week_number,units_sold\nS001,DRESS,2,12\n"

    status, body = await upload_week(gateway, workflow_id, one_row)

    assert status == 422, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "incomplete_week"
    assert "week 2 is incomplete: 5 of 6 store/category pairs" in error["message"]
    assert (
        "(S001, KNIT), (S002, DRESS), (S002, KNIT), (S003, DRESS), (S003, KNIT)"
        in (error["message"])
    )
    assert "missing_as_zero=true" in error["message"]
    assert [(d["store_code"], d["category_code"]) for d in error["details"]] == [
        ("S001", "KNIT"),
        ("S002", "DRESS"),
        ("S002", "KNIT"),
        ("S003", "DRESS"),
        ("S003", "KNIT"),
    ]
    # Nor does a partial re-upload of a stored week replace it.
    leave_out = frozenset({("S003", "KNIT")})
    status, body = await upload_week(gateway, workflow_id, week_csv(1, 9, leave_out=leave_out))
    assert status == 422, body
    assert "1 of 6 store/category pairs" in body["error"]["message"]
    assert "(S003, KNIT); nothing was stored" in body["error"]["message"]
    assert await stored_units(sessionmaker, workflow_id) == 5 * PAIRS
    assert await count(sessionmaker, ActualsUpload) == 1


async def test_missing_as_zero_stores_the_missing_pairs_as_zero(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    closed = frozenset({("S003", "DRESS"), ("S003", "KNIT")})

    status, body = await upload_week(
        gateway, workflow_id, week_csv(1, 4, leave_out=closed), missing_as_zero="true"
    )

    assert status == 202, body
    assert (body["row_count"], body["units_sold"], body["zero_filled"]) == (4, 16, 2)
    stored = await stored_week(sessionmaker, workflow_id)
    assert stored == {(s, c): 0 if (s, c) in closed else 4 for s in STORES for c in CATEGORIES}

    # A complete week with the flag fills nothing; the flag off is the default.
    status, body = await upload_week(gateway, workflow_id, week_csv(2), missing_as_zero="true")
    assert (status, body["zero_filled"]) == (202, 0), body
    status, body = await upload_week(
        gateway, workflow_id, week_csv(3, leave_out=closed), missing_as_zero="false"
    )
    assert status == 422, body
    assert body["error"]["code"] == "incomplete_week"


async def test_a_week_covers_the_workflows_categories_only(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season", category_codes=["DRESS"])
    knit = frozenset((store, "KNIT") for store in STORES)

    status, body = await upload_week(gateway, workflow_id, week_csv(1, 3, leave_out=knit))
    assert status == 202, body
    assert (body["row_count"], body["zero_filled"]) == (3, 0)

    status, body = await upload_week(
        gateway, workflow_id, week_csv(2, leave_out=knit | {("S002", "DRESS")})
    )
    assert status == 422, body
    assert "1 of 3 store/category pairs" in body["error"]["message"]
    assert await stored_units(sessionmaker, workflow_id) == 9


HISTORY = b"store_code,category_code,week_start,units\n" + b"\n".join(
    f"S00{s},{c},2026-0{m}-0{d},{10 * s + m}".encode()
    for s in (1, 2, 3)
    for c in ("DRESS", "KNIT")
    for m, d in ((2, 2), (3, 2))
)


async def test_historical_sales_upsert_never_double_counts(
    gateway: Gateway, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)

    async def post(content: bytes) -> tuple[int, dict[str, object]]:
        response = await gateway.client.post(
            "/api/data/historical-sales",
            files={"file": ("history.csv", content, "text/csv")},
            headers=PLANNER,
        )
        return response.status_code, response.json()

    status, first = await post(HISTORY)
    assert status == 200, first
    assert (first["inserted"], first["updated"], first["unchanged"]) == (12, 0, 0)
    status, second = await post(HISTORY)
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 12)
    assert await count(sessionmaker, HistoricalSale) == 12

    changed = HISTORY.replace(b"S001,DRESS,2026-02-02,12", b"S001,DRESS,2026-02-02,99")
    status, third = await post(changed)
    assert (third["inserted"], third["updated"], third["unchanged"]) == (0, 1, 11)

    bad = HISTORY + b"\nS404,KNIT,2026-03-09,4\nS001,KNIT,2026-03-09,-1"
    status, refused = await post(bad)
    assert status == 422, refused
    assert await count(sessionmaker, HistoricalSale) == 12
    async with sessionmaker() as session:
        units = await session.scalar(select(func.sum(HistoricalSale.units)))
    assert units == sum(10 * s + m for s in (1, 2, 3) for _c in (1, 2) for m in (2, 3)) + 99 - 12


class StreamedForm:
    """A multipart body handed to the server chunk by chunk, counting what it has read."""

    BOUNDARY = "planner-test-boundary"
    CHUNK = 8 * 1024

    def __init__(self, fields: dict[str, str], file: bytes) -> None:
        parts = [
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        ]
        head = (
            f'--{self.BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        self.body = b"".join(parts) + head + file + f"\r\n--{self.BOUNDARY}--\r\n".encode()
        self.read = 0

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.BOUNDARY}"

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.CHUNK):
            chunk = self.body[start : start + self.CHUNK]
            self.read += len(chunk)
            yield chunk


def assert_too_large(status: int, body: dict[str, object], max_upload_bytes: int) -> None:
    assert status == 413, body
    assert body["error"]["code"] == "payload_too_large", body
    assert f"{max_upload_bytes:,}-byte upload limit" in body["error"]["message"]


async def test_a_chunked_oversize_upload_is_cut_off_while_it_arrives(
    gateway: Gateway, gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    workflow_id = await new_workflow(sessionmaker, "in_season")
    assert (await upload_week(gateway, workflow_id, week_csv(1, 5)))[0] == 202
    limit = gateway_settings.max_upload_bytes
    # 30 times the limit, with no Content-Length: the server can only count as it reads.
    form = StreamedForm({"workflow_id": str(workflow_id)}, week_csv(2) + b"\n" * (30 * limit))

    response = await gateway.client.post(
        "/api/data/weekly-actuals",
        content=form,
        headers=PLANNER | {"Content-Type": form.content_type},
    )

    assert "content-length" not in response.request.headers
    # Cut off past the limit (plus the multipart allowance), then at most as much again read
    # and dropped so that a client can read the answer: not the whole body spooled.
    body_limit = limit + MULTIPART_ALLOWANCE
    assert form.read <= 2 * body_limit + 2 * StreamedForm.CHUNK, form.read
    assert_too_large(response.status_code, response.json(), limit)
    assert response.headers["connection"] == "close"
    assert await stored_units(sessionmaker, workflow_id) == 5 * PAIRS
    assert await count(sessionmaker, ActualsUpload) == 1


async def test_a_declared_oversize_upload_is_refused_before_its_body_is_read(
    gateway: Gateway, gateway_settings: GatewaySettings, sessionmaker: Sessions
) -> None:
    await seed_reference(sessionmaker)
    response = await gateway.client.post(
        "/api/data/historical-sales",
        files={"file": ("history.csv", HISTORY, "text/csv")},
        headers=PLANNER,
    )
    assert response.status_code == 200, response.text
    limit = gateway_settings.max_upload_bytes

    async def post(prefix: str, form: StreamedForm, expect: bool = False) -> None:
        headers = {"Content-Type": form.content_type, "Content-Length": str(len(form.body))}
        if expect:
            headers["Expect"] = "100-continue"
        response = await gateway.client.post(
            f"{prefix}/data/historical-sales", content=form, headers=PLANNER | headers
        )
        assert_too_large(response.status_code, response.json(), limit)
        assert response.headers["connection"] == "close"

    for prefix in ("/api",):
        # Waiting for 100 Continue, the client has sent nothing: none is asked for.
        waiting = StreamedForm({}, HISTORY + b"\n" * (2 * limit))
        await post(prefix, waiting, expect=True)
        assert waiting.read == 0, f"{prefix}: {waiting.read} bytes read before refusing"
        # Far over the limit: answered at once, not worth reading.
        huge = StreamedForm({}, HISTORY + b"\n" * (4 * limit))
        await post(prefix, huge)
        assert huge.read == 0, f"{prefix}: {huge.read} bytes read before refusing"
        # Just over: refused all the same, its bytes read and dropped so that the client,
        # which sends everything before it reads, gets the answer rather than a reset.
        near = StreamedForm({}, HISTORY + b"\n" * (limit + 20 * 1024))
        await post(prefix, near)
        assert near.read == len(near.body)
    assert await count(sessionmaker, HistoricalSale) == 12
    async with sessionmaker() as session:
        units = await session.scalar(select(func.sum(HistoricalSale.units)))
    assert units == sum(10 * s + m for s in (1, 2, 3) for _c in (1, 2) for m in (2, 3))
