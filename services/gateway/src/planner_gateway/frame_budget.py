"""A socket client's budget of incoming messages: a token bucket per connection.

`rate` messages a second with bursts of `burst`; a message over budget is dropped, and a
client that goes on for `drop_limit` messages over it is to be closed (1008).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum

# Every socket's budget (/ws and the v1 stream): 5 messages a second, bursts of 20; a client
# 200 messages over it is closed with 1008 (policy violation).
CLIENT_RATE = 5.0
CLIENT_BURST = 20
CLIENT_DROP_LIMIT = 200
CLOSE_POLICY = 1008


class Verdict(Enum):
    TAKEN = "taken"
    FIRST_DROP = "first_drop"  # tell the client once
    DROPPED = "dropped"
    CLOSE = "close"


@dataclass
class FrameBudget:
    rate: float
    burst: int
    drop_limit: int
    _tokens: float = field(init=False)
    _refilled: float = field(init=False, default_factory=time.monotonic)
    _dropped: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def spend(self) -> Verdict:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            self._dropped = 0
            return Verdict.TAKEN
        self._dropped += 1
        if self._dropped >= self.drop_limit:
            return Verdict.CLOSE
        return Verdict.FIRST_DROP if self._dropped == 1 else Verdict.DROPPED
