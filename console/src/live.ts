// A workflow's live feed over the gateway's WebSocket, resuming after a drop.
//
// The first connection asks for the whole history (`since=start`); every later one asks for
// what came after the last event it showed (`since=<event_id>`), so a dropped connection loses
// nothing. Messages are de-duplicated by event_id, so a replay that overlaps is harmless. The
// server's heartbeat pings are answered with pongs. Close codes 4401 (not signed in) and 4404
// (unknown workflow) end the feed; 4400 (an unknown `since`) starts over from the beginning.

import type { LiveMessage } from "./types";

export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string) => SocketLike;
export type FeedStatus = "connecting" | "live" | "reconnecting" | "ended" | "refused";

export const TERMINAL_EVENTS = new Set(["workflow.completed", "workflow.failed", "workflow.cancelled"]);
const FINAL_CLOSE_CODES = new Set([4401, 4404]);

export interface LiveFeedOptions {
  workflowId: string;
  base: string; // ws://host or wss://host
  onMessage: (message: LiveMessage) => void;
  onStatus?: (status: FeedStatus, detail?: string) => void;
  socketFactory?: SocketFactory;
  retryDelaysMs?: number[];
  schedule?: (fn: () => void, ms: number) => unknown;
}

export class LiveFeed {
  private socket: SocketLike | null = null;
  private lastEventId: string | null = null;
  private readonly seen = new Set<string>();
  private attempts = 0;
  private stopped = false;
  private ended = false;
  readonly urls: string[] = [];

  constructor(private readonly options: LiveFeedOptions) {}

  get resumeFrom(): string | null {
    return this.lastEventId;
  }

  url(): string {
    const since = this.lastEventId ?? "start";
    return `${this.options.base}/ws/workflows/${this.options.workflowId}?since=${encodeURIComponent(since)}`;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close(1000, "console closed");
    this.socket = null;
  }

  /** Drop the connection as a network failure would (the feed reconnects by itself). */
  drop(): void {
    this.socket?.close(4000, "dropped");
  }

  private status(status: FeedStatus, detail?: string): void {
    this.options.onStatus?.(status, detail);
  }

  private connect(): void {
    const factory = this.options.socketFactory ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    const url = this.url();
    this.urls.push(url);
    this.status(this.attempts === 0 && this.lastEventId === null ? "connecting" : "reconnecting");
    const socket = factory(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.status("live");
    };
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped || this.ended) return;
      if (FINAL_CLOSE_CODES.has(event.code)) {
        this.status("refused", event.reason || `closed with ${event.code}`);
        return;
      }
      if (event.code === 4400) this.lastEventId = null; // the server does not know our event
      this.retry();
    };
    socket.onerror = () => undefined; // onclose follows and decides
  }

  private retry(): void {
    const delays = this.options.retryDelaysMs ?? [250, 500, 1000, 2000, 4000];
    const delay = delays[Math.min(this.attempts, delays.length - 1)];
    this.attempts += 1;
    this.status("reconnecting");
    const schedule = this.options.schedule ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    schedule(() => {
      if (!this.stopped && !this.ended) this.connect();
    }, delay);
  }

  private receive(socket: SocketLike, data: unknown): void {
    let message: LiveMessage;
    try {
      message = JSON.parse(String(data)) as LiveMessage;
    } catch {
      return;
    }
    if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
      return;
    }
    if (message.type === "pong") return;
    if (message.event_id) {
      if (this.seen.has(message.event_id)) return;
      this.seen.add(message.event_id);
      this.lastEventId = message.event_id;
    }
    this.options.onMessage(message);
    if (message.event_type && TERMINAL_EVENTS.has(message.event_type)) {
      this.ended = true;
      this.status("ended");
    }
  }
}

export function socketBase(location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
}
