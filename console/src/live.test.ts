import { describe, expect, it } from "vitest";

import { LiveFeed, type SocketLike, socketBase } from "./live";
import type { LiveMessage } from "./types";

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  sent: string[] = [];
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000, reason = "") {
    this.onclose?.({ code, reason });
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(message: Partial<LiveMessage>) {
    this.onmessage?.({ data: JSON.stringify({ event_id: null, ...message }) });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const received: LiveMessage[] = [];
  const statuses: string[] = [];
  const pending: (() => void)[] = [];
  const feed = new LiveFeed({
    workflowId: "wf-1",
    base: "ws://gw",
    onMessage: (m) => received.push(m),
    onStatus: (s) => statuses.push(s),
    socketFactory: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    schedule: (fn) => pending.push(fn),
  });
  const runTimers = () => pending.splice(0).forEach((fn) => fn());
  return { feed, sockets, received, statuses, runTimers };
}

describe("LiveFeed", () => {
  it("starts from the beginning, then resumes after the last event it showed", () => {
    const { feed, sockets, received, runTimers } = harness();
    feed.start();
    expect(sockets[0].url).toBe("ws://gw/ws/workflows/wf-1?since=start");
    sockets[0].open();
    sockets[0].deliver({ type: "agent_progress", event_id: "e1", message: "one" });
    sockets[0].deliver({ type: "agent_progress", event_id: "e2", message: "two" });
    sockets[0].close(1006, "network");
    runTimers();
    expect(sockets[1].url).toBe("ws://gw/ws/workflows/wf-1?since=e2");
    // The replay overlaps what was shown: nothing is shown twice, nothing is missed.
    sockets[1].open();
    sockets[1].deliver({ type: "agent_progress", event_id: "e2", message: "two" });
    sockets[1].deliver({ type: "agent_progress", event_id: "e3", message: "three" });
    expect(received.map((m) => m.event_id)).toEqual(["e1", "e2", "e3"]);
  });

  it("answers the heartbeat and does not show it", () => {
    const { feed, sockets, received } = harness();
    feed.start();
    sockets[0].open();
    sockets[0].deliver({ type: "ping" });
    expect(sockets[0].sent).toEqual([JSON.stringify({ type: "pong" })]);
    expect(received).toEqual([]);
  });

  it("stops on a refused key or an unknown workflow, and at the workflow's end", () => {
    const refused = harness();
    refused.feed.start();
    refused.sockets[0].close(4401, "missing or unknown API key");
    refused.runTimers();
    expect(refused.sockets).toHaveLength(1);
    expect(refused.statuses.at(-1)).toBe("refused");

    const done = harness();
    done.feed.start();
    done.sockets[0].open();
    done.sockets[0].deliver({ type: "workflow_complete", event_id: "e9", event_type: "workflow.completed" });
    done.sockets[0].close(1000, "");
    done.runTimers();
    expect(done.sockets).toHaveLength(1);
    expect(done.statuses.at(-1)).toBe("ended");
  });

  it("starts over when the server does not know the event it resumes from", () => {
    const { feed, sockets, runTimers } = harness();
    feed.start();
    sockets[0].open();
    sockets[0].deliver({ type: "agent_progress", event_id: "e1" });
    sockets[0].close(4400, "unknown since");
    runTimers();
    expect(sockets[1].url).toContain("since=start");
  });

  it("does not reconnect once stopped", () => {
    const { feed, sockets, runTimers } = harness();
    feed.start();
    feed.stop();
    runTimers();
    expect(sockets).toHaveLength(1);
  });

  it("builds the socket's address from the page's", () => {
    expect(socketBase({ protocol: "https:", host: "planner.example" })).toBe("wss://planner.example");
    expect(socketBase({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000");
  });
});
