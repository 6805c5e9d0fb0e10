"""Tests of agentkit.tools (a package, so its module names do not clash with
the flat tests/ ones)."""
