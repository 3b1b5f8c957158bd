"""Compatibility shims for third-party libraries (imported lazily by plugins)."""
