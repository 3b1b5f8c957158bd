"""Configuration: recipes, component parameters, threat models and budgets, the JSON Schema.

Nothing is imported here, so importing one module does not import the others."""
