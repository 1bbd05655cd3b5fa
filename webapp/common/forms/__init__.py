"""Form fields and checks that several blueprints' forms share (blueprints never import
each other)."""
