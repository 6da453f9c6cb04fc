"""Test support: real servers on loopback, the services as processes, a fake LLM server."""
