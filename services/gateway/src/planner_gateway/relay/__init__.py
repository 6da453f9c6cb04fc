"""The WebSocket relay: one stream reader per process, a queue per connection."""
