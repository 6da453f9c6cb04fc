"""The gateway's service layer: what a request does, whichever front door it came through.

`/api` (planner_gateway.api) and the contract v1 adapter (planner_gateway.v1) both call
these functions; a router only translates HTTP (shapes, names, units) to a call and back.
Nothing here commits: the caller's unit of work owns the transaction. Errors are `ApiError`s,
the gateway's domain errors that carry their HTTP status.
"""
