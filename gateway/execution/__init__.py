"""Compiled execution: a per-operation plan that resolves the response level by level."""
