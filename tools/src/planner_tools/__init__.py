"""Development tools: test support and the sample data generator. A dev dependency of the
workspace, installed by `make install`, never in a service image."""
