"""Test support shipped with the library: real servers on loopback, fake LLM server."""
