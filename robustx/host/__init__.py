"""The plugin host: hook specifications, entry points, the plugin manager and its registries.

Nothing is imported here, so importing one module does not import the others."""
