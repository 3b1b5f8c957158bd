"""The training and evaluation engine (core-owned; plugins provide the parts)."""
