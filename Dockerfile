# One recipe for every image of the workspace: PACKAGE picks the workspace member.
#   docker build --build-arg PACKAGE=planner-gateway -t season-planner/gateway .
# planner-shared gives the image that migrates and seeds; the five services run as
#   python -m planner_<service>
# Only the chosen member and its dependencies are installed (`uv sync --package`), from the
# one lock file, so every image has exactly the versions the tests ran with.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ARG PACKAGE=planner-gateway
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Dependencies first, from the lock and the members' metadata only: this layer is reused
# until uv.lock or a pyproject.toml changes, not on every source edit.
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/extraction/pyproject.toml services/extraction/
COPY services/forecast/pyproject.toml services/forecast/
COPY services/agents/pyproject.toml services/agents/
COPY services/approvals/pyproject.toml services/approvals/
# The dev-only members (test tools, the Python client): their metadata completes the workspace,
# their code is never copied or installed.
COPY tools/pyproject.toml tools/
COPY client/pyproject.toml client/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"

# Then the workspace itself, installed as wheels so the image needs no source tree.
COPY shared/ shared/
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package "${PACKAGE}"

FROM ${PYTHON_IMAGE} AS runtime
ARG PACKAGE=planner-gateway
RUN groupadd --system planner && useradd --system --gid planner --home-dir /app planner
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# The sample data set `seed` loads; small, and the same in every image.
COPY data/ /app/data/
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PLANNER_PACKAGE=${PACKAGE} \
    PLANNER_HOST=0.0.0.0
USER planner
# planner-gateway -> python -m planner_gateway; compose names the command explicitly too.
CMD ["sh", "-c", "exec python -m \"$(echo \"$PLANNER_PACKAGE\" | tr - _)\""]
