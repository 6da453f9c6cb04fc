"""Run one agent task through the Agents SDK, on an LLM or on the deterministic model.

`run_agent` is the one entry point the service calls: it enters through the orchestrator
(which hands the task to its specialist), reports progress as the run goes, and returns the
summary, the tool calls made and the decisions the tools recorded. The caller turns those
into events; nothing here touches the database or the bus.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import openai
from agents import (
    Agent,
    Model,
    ModelProvider,
    OpenAIChatCompletionsModel,
    RunConfig,
    RunContextWrapper,
    RunHooks,
    Runner,
    Tool,
)
from agents.exceptions import AgentsException, MaxTurnsExceeded, ModelRefusalError
from agents.items import HandoffOutputItem, ToolCallItem
from agents.run_context import AgentHookContext
from agents.tool_context import ToolContext
from openai import AsyncOpenAI
from openai.types.responses import ResponseFunctionToolCall

from planner_agents.context import Decisions, RunContext
from planner_agents.deterministic_model import (
    MODEL_NAME as DETERMINISTIC_MODEL_NAME,
)
from planner_agents.deterministic_model import (
    DeterministicModelError,
    DeterministicModelProvider,
)
from planner_agents.team import (
    AGENT_NAMES,
    SPECIALIST_FOR_TASK,
    TASK_BRIEFS,
    AgentTask,
    build_team,
    task_message,
)
from planner_agents.tools import TOOL_PURPOSES
from planner_shared.events import AgentName
from planner_shared.settings import OpenAISettings

log = logging.getLogger(__name__)

OnProgress = Callable[[AgentName, str], Awaitable[None]]
DEFAULT_MAX_TURNS = 12
_ARGUMENT_PREVIEW = 80


class AgentRunError(Exception):
    """An agent run that did not reach its goal; the message is meant for the planner."""


@dataclass(frozen=True)
class ToolCallRecord:
    agent: AgentName
    name: str
    arguments: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"agent": self.agent, "name": self.name, "arguments": self.arguments}


@dataclass(frozen=True)
class AgentOutcome:
    task: AgentTask
    agent: AgentName
    summary: str
    model: str
    tool_calls: list[ToolCallRecord]
    handoffs: list[tuple[AgentName, AgentName]]
    decisions: Decisions
    model_requests: int = 0


# ---------------------------------------------------------------- models
class ChatCompletionsProvider(ModelProvider):
    """The `openai` client built from settings, never with the library's 600 s default."""

    def __init__(self, settings: OpenAISettings) -> None:
        if settings.api_key is None:
            raise ValueError("an OpenAI API key is needed for the chat completions provider")
        self._settings = settings
        self._client = AsyncOpenAI(
            api_key=settings.api_key.get_secret_value(),
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )

    def get_model(self, model_name: str | None) -> Model:
        return OpenAIChatCompletionsModel(
            model=model_name or self._settings.model, openai_client=self._client
        )

    async def aclose(self) -> None:
        await self._client.close()


def build_model_provider(settings: OpenAISettings) -> ModelProvider:
    """An LLM when a key is configured, the deterministic model otherwise."""
    if settings.configured:
        return ChatCompletionsProvider(settings)
    return DeterministicModelProvider()


def model_name(settings: OpenAISettings) -> str:
    return settings.model if settings.configured else DETERMINISTIC_MODEL_NAME


# ---------------------------------------------------------------- progress
def _agent_name(agent: Agent[Any]) -> AgentName:
    return AGENT_NAMES[agent.name]


def _preview(arguments: str) -> str:
    try:
        values = json.loads(arguments) if arguments else {}
    except json.JSONDecodeError:
        return arguments[:_ARGUMENT_PREVIEW]
    if not isinstance(values, dict) or not values:
        return ""
    shown = []
    for key, value in values.items():
        text = str(value)
        if len(text) > _ARGUMENT_PREVIEW:
            text = text[: _ARGUMENT_PREVIEW - 3] + "..."
        shown.append(f"{key}={text}")
    return ", ".join(shown)


class ProgressHooks(RunHooks[RunContext]):
    """Says what each agent is doing and why, as it happens."""

    def __init__(self, task: AgentTask, on_progress: OnProgress) -> None:
        self._task = task
        self._on_progress = on_progress

    async def on_agent_start(
        self, context: AgentHookContext[RunContext], agent: Agent[RunContext]
    ) -> None:
        name = _agent_name(agent)
        if name == "orchestrator":
            specialist = SPECIALIST_FOR_TASK[self._task]
            message = f"Routing {self._task} to the {specialist} agent"
        else:
            message = f"Working on {self._task}: {TASK_BRIEFS[self._task]}"
        await self._on_progress(name, message)

    async def on_handoff(
        self,
        context: RunContextWrapper[RunContext],
        from_agent: Agent[RunContext],
        to_agent: Agent[RunContext],
    ) -> None:
        await self._on_progress(
            _agent_name(from_agent), f"Handed {self._task} to the {to_agent.name} agent"
        )

    async def on_tool_start(
        self, context: RunContextWrapper[RunContext], agent: Agent[RunContext], tool: Tool
    ) -> None:
        arguments = _preview(context.tool_arguments) if isinstance(context, ToolContext) else ""
        why = TOOL_PURPOSES.get(tool.name)
        message = f"Calling {tool.name}({arguments})" + (f" {why}" if why else "")
        await self._on_progress(_agent_name(agent), message)

    async def on_tool_end(
        self,
        context: RunContextWrapper[RunContext],
        agent: Agent[RunContext],
        tool: Tool,
        result: object,
    ) -> None:
        await self._on_progress(_agent_name(agent), _result_line(tool.name, result))


def _result_line(tool: str, result: object) -> str:
    try:
        data = json.loads(str(result))
    except json.JSONDecodeError:
        return f"{tool} answered"
    if isinstance(data, dict) and isinstance(data.get("note"), str):
        return str(data["note"])
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f"{tool} could not answer: {data['error']}"
    return f"{tool} answered"


async def _ignore_progress(agent: AgentName, message: str) -> None:
    return None


# ---------------------------------------------------------------- the run
async def run_agent(
    task: AgentTask,
    ctx: RunContext,
    settings: OpenAISettings,
    *,
    on_progress: OnProgress | None = None,
    provider: ModelProvider | None = None,
    max_turns: int = DEFAULT_MAX_TURNS,
) -> AgentOutcome:
    """Run `task` for the season in `ctx`; AgentRunError says why when it cannot be done.

    `provider` lets a long-lived service share one client across runs; without it one is
    built from `settings` for this run and closed after it.
    """
    owned = provider is None
    model_provider = provider or build_model_provider(settings)
    name = model_name(settings)
    team = build_team()
    config = RunConfig(
        model=name,
        model_provider=model_provider,
        tracing_disabled=not settings.tracing_enabled,
        trace_include_sensitive_data=False,
        workflow_name=f"season-planner:{task}",
        group_id=str(ctx.workflow_id),
    )
    try:
        result = await Runner.run(
            team.orchestrator,
            task_message(task),
            context=ctx,
            max_turns=max_turns,
            hooks=ProgressHooks(task, on_progress or _ignore_progress),
            run_config=config,
        )
    except Exception as exc:
        error = _run_error(exc, task, settings, max_turns)
        if error is None:
            raise
        raise error from exc
    finally:
        if owned:
            await model_provider.aclose()
    return _outcome(
        task,
        ctx,
        result.new_items,
        result.final_output,
        result.last_agent,
        name,
        result.context_wrapper.usage.requests,
    )


def _run_error(
    exc: Exception, task: AgentTask, settings: OpenAISettings, max_turns: int
) -> AgentRunError | None:
    """Why a run could not be done, in words a planner can act on; None for a bug."""
    if isinstance(exc, MaxTurnsExceeded):
        return AgentRunError(f"the agents did not finish {task} within {max_turns} model turns")
    if isinstance(exc, DeterministicModelError):
        return AgentRunError(str(exc))
    if isinstance(exc, ModelRefusalError):
        return AgentRunError(f"the model declined {task}: {exc.refusal}")
    if isinstance(exc, openai.APITimeoutError):
        return AgentRunError(
            f"the language model did not answer within {settings.timeout_seconds:g} s "
            f"(after {settings.max_retries} retries); raise OPENAI_TIMEOUT or try again"
        )
    if isinstance(exc, openai.APIStatusError):
        return AgentRunError(
            f"the language model API refused the request ({exc.status_code}): "
            f"{_api_error_message(exc)}"
        )
    if isinstance(exc, openai.APIConnectionError):
        return AgentRunError(
            f"the language model API at {settings.base_url or 'api.openai.com'} could not be "
            "reached; check OPENAI_BASE_URL and the network"
        )
    if isinstance(exc, AgentsException):
        return AgentRunError(f"the agent run failed: {exc}")
    return None


def _outcome(
    task: AgentTask,
    ctx: RunContext,
    items: list[Any],
    final_output: Any,
    last_agent: Agent[Any],
    name: str,
    model_requests: int,
) -> AgentOutcome:
    tool_calls: list[ToolCallRecord] = []
    handoffs: list[tuple[AgentName, AgentName]] = []
    for item in items:
        if isinstance(item, ToolCallItem) and isinstance(item.raw_item, ResponseFunctionToolCall):
            tool_calls.append(
                ToolCallRecord(
                    agent=_agent_name(item.agent),
                    name=item.raw_item.name,
                    arguments=_arguments(item.raw_item.arguments),
                )
            )
        elif isinstance(item, HandoffOutputItem):
            handoffs.append((_agent_name(item.source_agent), _agent_name(item.target_agent)))
    specialist = SPECIALIST_FOR_TASK[task]
    summary = final_output.strip() if isinstance(final_output, str) else ""
    problem = _unfinished(task, ctx.decisions, _agent_name(last_agent), specialist, summary)
    if problem is not None:
        raise AgentRunError(problem)
    return AgentOutcome(
        task=task,
        agent=specialist,
        summary=summary,
        model=name,
        tool_calls=tool_calls,
        handoffs=handoffs,
        decisions=ctx.decisions,
        model_requests=model_requests,
    )


def _api_error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
    return exc.message


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return {"raw": raw}
    return value if isinstance(value, dict) else {"value": value}


def _unfinished(
    task: AgentTask, decisions: Decisions, last: AgentName, specialist: str, summary: str
) -> str | None:
    """Why the run did not do its task, or None when it did."""
    if last != specialist:
        return f"the orchestrator did not hand {task} to the {specialist} agent"
    if task == "review_forecast" and decisions.risks is None:
        return "the demand agent finished without checking the forecast's risks"
    if task == "propose_manufacturing" and decisions.manufacturing is None:
        return "the inventory agent finished without an accepted manufacturing proposal"
    if task == "propose_markdown" and not decisions.markdown_assessed:
        return "the pricing agent finished without applying the markdown rule"
    if not summary:
        return f"the {specialist} agent finished {task} without a summary"
    return None
