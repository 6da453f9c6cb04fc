"""Follow one workflow's WebSocket in the terminal: one line per message.

    python scripts/follow.py WORKFLOW_ID [--base-url ws://127.0.0.1:8000] [--token KEY]
                             [--since start|EVENT_ID] [--raw] [--until-complete]

Answers the heartbeat pings (as a frontend must) and prints `type`, the agent and the
readable `message` of each message; `--raw` prints the JSON as received.
"""

from __future__ import annotations

import argparse
import json
import sys

from websockets.sync.client import connect

# The events that end a workflow. An `error` alone does not: an agent's failure may be
# recovered from, and the socket's own notices (`event_id` null) are not the workflow's.
FINAL = {"workflow.completed", "workflow.failed", "workflow.cancelled"}


def line(message: dict[str, object]) -> str:
    stamp = str(message.get("timestamp", ""))[11:19]
    agent = message.get("agent") or ""
    text = message.get("message") or message.get("error_message") or ""
    return f"{stamp} {message['type']:<21} {agent:<19} {text}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflow_id")
    parser.add_argument("--base-url", default="ws://127.0.0.1:8000")
    parser.add_argument("--token", default="dev-planner-key")
    parser.add_argument("--since", default="start", help="'start', or an event_id to resume after")
    parser.add_argument("--raw", action="store_true", help="print each message's JSON")
    parser.add_argument(
        "--until-complete",
        action="store_true",
        help="exit when the workflow ends: 0 if it completed, 1 if it failed or was cancelled",
    )
    args = parser.parse_args()
    url = f"{args.base_url}/ws/workflows/{args.workflow_id}?token={args.token}&since={args.since}"
    with connect(url) as socket:
        for frame in socket:
            message = json.loads(frame)
            if message["type"] == "ping":
                socket.send(json.dumps({"type": "pong"}))
                continue
            print(json.dumps(message) if args.raw else line(message), flush=True)
            if args.until_complete and message.get("event_type") in FINAL:
                return 0 if message["type"] == "workflow_complete" else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
