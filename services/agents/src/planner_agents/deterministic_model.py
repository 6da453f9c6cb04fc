"""A model for the Agents SDK that needs no LLM: it follows each task's plan.

It sees exactly what an LLM would (the instructions, the conversation, the tools and
handoffs offered) and answers the way a well-behaved model does: the orchestrator hands the
task to its specialist; the specialist calls its tools one by one, in the plan's order, with
arguments taken from earlier tool results; then it writes a plain factual summary built from
those results. The SDK's own Runner executes the tool calls and handoffs, so a run on this
model produces the same tool calls, decisions and events as a run on an LLM.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from agents import Handoff, Model, ModelProvider, ModelResponse, ModelSettings, ModelTracing, Tool
from agents.agent_output import AgentOutputSchemaBase
from agents.items import TResponseInputItem, TResponseOutputItem, TResponseStreamEvent
from agents.usage import Usage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseUsage,
)
from openai.types.responses.response_prompt_param import ResponsePromptParam
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails
from pydantic import BaseModel, ValidationError

from planner_agents import summaries
from planner_agents.schemas import (
    AllocationView,
    ForecastView,
    ManufacturingProposalResult,
    ManufacturingView,
    MarkdownResult,
    RiskReport,
    SeasonView,
    SellThroughView,
    ToolError,
)
from planner_agents.team import SPECIALIST_FOR_TASK, AgentTask, parse_task

MODEL_NAME = "deterministic"
R = TypeVar("R", bound=BaseModel)


class DeterministicModelError(RuntimeError):
    """The run cannot go on as planned; the message says why, for the planner."""


@dataclass
class _Transcript:
    """The conversation so far: the task, and every call made with its output."""

    task: AgentTask
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    @classmethod
    def read(cls, items: list[dict[str, Any]]) -> _Transcript:
        task = next(
            (t for t in (parse_task(_text_of(i)) for i in items if i.get("role") == "user") if t),
            None,
        )
        if task is None:
            raise DeterministicModelError(
                "the run's first message does not name a known task ('Task: <name>')"
            )
        transcript = cls(task)
        outputs = {
            str(i["call_id"]): _output_text(i.get("output"))
            for i in items
            if i.get("type") == "function_call_output"
        }
        for item in items:
            if item.get("type") == "function_call":
                call_id = str(item["call_id"])
                transcript.calls.append((str(item["name"]), call_id, outputs.get(call_id)))
        return transcript

    def called(self, tool: str) -> bool:
        return any(name == tool and output is not None for name, _, output in self.calls)

    def raise_on_tool_error(self) -> None:
        """Stop at a tool that could not answer, as a model reading its reply would."""
        if not self.calls:
            return
        name, _, output = self.calls[-1]
        if output is None:
            return
        try:
            error = ToolError.model_validate_json(output).error
        except ValidationError:
            return
        raise DeterministicModelError(f"{name} could not answer: {error}")

    def result(self, tool: str, model: type[R]) -> R:
        """The latest answer of `tool`, typed; a tool error stops the run with its reason."""
        output = next(
            (out for name, _, out in reversed(self.calls) if name == tool and out is not None),
            None,
        )
        if output is None:
            raise DeterministicModelError(f"{tool} has not answered yet")
        try:
            return model.model_validate_json(output)
        except ValidationError:
            pass
        try:
            error = ToolError.model_validate_json(output).error
        except ValidationError:
            error = output
        raise DeterministicModelError(f"{tool} could not answer: {error}")


def _text_of(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _output_text(output: Any) -> str | None:
    if output is None:
        return None
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "".join(str(part.get("text", "")) for part in output if isinstance(part, dict))
    return str(output)


# ---------------------------------------------------------------- the plans
Arguments = Callable[[_Transcript], dict[str, Any]]


def _no_arguments(transcript: _Transcript) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class _Step:
    tool: str
    arguments: Arguments = _no_arguments


@dataclass(frozen=True)
class _Plan:
    steps: tuple[_Step, ...]
    summary: Callable[[_Transcript], str]


def _order_arguments(t: _Transcript) -> dict[str, Any]:
    view = t.result("get_manufacturing_recommendation", ManufacturingView)
    season = t.result("get_season_parameters", SeasonView)
    return {
        "quantity": view.total_quantity,
        "rationale": summaries.manufacturing_rationale(season, view),
    }


def _markdown_arguments(t: _Transcript) -> dict[str, Any]:
    view = t.result("get_sell_through", SellThroughView)
    return {"rationale": summaries.markdown_rationale(view)}


def _review_summary(t: _Transcript) -> str:
    return summaries.forecast_review(
        t.result("get_season_parameters", SeasonView),
        t.result("get_forecast_summary", ForecastView),
        t.result("flag_forecast_risks", RiskReport),
    )


def _order_summary(t: _Transcript) -> str:
    result = t.result("propose_manufacturing_order", ManufacturingProposalResult)
    if not result.accepted:
        raise DeterministicModelError(f"the manufacturing order was refused: {result.reason}")
    return summaries.manufacturing_proposal(
        t.result("get_manufacturing_recommendation", ManufacturingView), result
    )


def _allocation_summary(t: _Transcript) -> str:
    return summaries.allocation_summary(
        t.result("get_season_parameters", SeasonView),
        t.result("get_allocation_summary", AllocationView),
    )


def _markdown_summary(t: _Transcript) -> str:
    return summaries.markdown_summary(
        t.result("get_sell_through", SellThroughView),
        t.result("propose_markdown", MarkdownResult),
    )


PLANS: dict[AgentTask, _Plan] = {
    "review_forecast": _Plan(
        (
            _Step("get_season_parameters"),
            _Step("get_forecast_summary"),
            _Step("flag_forecast_risks"),
        ),
        _review_summary,
    ),
    "propose_manufacturing": _Plan(
        (
            _Step("get_season_parameters"),
            _Step("get_manufacturing_recommendation"),
            _Step("propose_manufacturing_order", _order_arguments),
        ),
        _order_summary,
    ),
    "summarise_allocation": _Plan(
        (_Step("get_season_parameters"), _Step("get_allocation_summary")),
        _allocation_summary,
    ),
    "propose_markdown": _Plan(
        (
            _Step("get_season_parameters"),
            _Step("get_sell_through"),
            _Step("propose_markdown", _markdown_arguments),
        ),
        _markdown_summary,
    ),
}


def plan_tools(task: AgentTask) -> list[str]:
    """The tools a run of `task` calls, in order (handoffs aside)."""
    return [step.tool for step in PLANS[task].steps]


# ---------------------------------------------------------------- the model
def _function_call(index: int, name: str, arguments: dict[str, Any]) -> ResponseFunctionToolCall:
    return ResponseFunctionToolCall(
        id=f"fc_det_{index}",
        call_id=f"call_det_{index}",
        type="function_call",
        name=name,
        arguments=json.dumps(arguments),
        status="completed",
    )


def _message(index: int, text: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(
        id=f"msg_det_{index}",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=text, annotations=[], logprobs=[])],
    )


def next_output(
    items: list[dict[str, Any]], tools: list[Tool], handoffs: list[Handoff]
) -> TResponseOutputItem:
    """The one thing a model in this position does next."""
    transcript = _Transcript.read(items)
    index = len(transcript.calls) + 1
    if handoffs:
        specialist = SPECIALIST_FOR_TASK[transcript.task]
        route = next((h for h in handoffs if h.agent_name == specialist), None)
        if route is None:
            raise DeterministicModelError(
                f"no handoff to the {specialist} agent is offered for {transcript.task}"
            )
        return _function_call(index, route.tool_name, {})
    offered = {tool.name for tool in tools}
    plan = PLANS[transcript.task]
    missing = [step.tool for step in plan.steps if step.tool not in offered]
    if missing:
        raise DeterministicModelError(
            f"{transcript.task} needs the {', '.join(missing)} tool(s), which this agent lacks"
        )
    transcript.raise_on_tool_error()
    for step in plan.steps:
        if not transcript.called(step.tool):
            return _function_call(index, step.tool, step.arguments(transcript))
    return _message(index, plan.summary(transcript))


def _items(input: str | list[TResponseInputItem]) -> list[dict[str, Any]]:
    if isinstance(input, str):
        return [{"role": "user", "content": input}]
    items: list[dict[str, Any]] = []
    for item in input:
        if isinstance(item, BaseModel):
            items.append(item.model_dump())
        else:
            items.append(dict(item))
    return items


def _usage() -> ResponseUsage:
    return ResponseUsage(
        input_tokens=0,
        output_tokens=0,
        total_tokens=0,
        input_tokens_details=InputTokensDetails(cache_write_tokens=0, cached_tokens=0),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
    )


class DeterministicModel(Model):
    """Plugs into the SDK where an LLM would; see the module docstring."""

    async def get_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> ModelResponse:
        output = next_output(_items(input), tools, handoffs)
        return ModelResponse(output=[output], usage=Usage(requests=1), response_id=None)

    async def stream_response(
        self,
        system_instructions: str | None,
        input: str | list[TResponseInputItem],
        model_settings: ModelSettings,
        tools: list[Tool],
        output_schema: AgentOutputSchemaBase | None,
        handoffs: list[Handoff],
        tracing: ModelTracing,
        *,
        previous_response_id: str | None,
        conversation_id: str | None,
        prompt: ResponsePromptParam | None,
    ) -> AsyncIterator[TResponseStreamEvent]:
        output = next_output(_items(input), tools, handoffs)
        response = Response(
            id=f"resp_det_{output.id}",
            created_at=0,
            model=MODEL_NAME,
            object="response",
            output=[output],
            tool_choice="auto",
            tools=[],
            parallel_tool_calls=False,
            status="completed",
            usage=_usage(),
        )
        yield ResponseCreatedEvent(
            type="response.created",
            response=response.model_copy(update={"output": [], "status": "in_progress"}),
            sequence_number=0,
        )
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", item=output, output_index=0, sequence_number=1
        )
        yield ResponseOutputItemDoneEvent(
            type="response.output_item.done", item=output, output_index=0, sequence_number=2
        )
        yield ResponseCompletedEvent(
            type="response.completed", response=response, sequence_number=3
        )


class DeterministicModelProvider(ModelProvider):
    """Hands out the deterministic model whatever name is asked for."""

    def get_model(self, model_name: str | None) -> Model:
        return DeterministicModel()
