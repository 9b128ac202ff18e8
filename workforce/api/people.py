"""JSON endpoints for people of the pool: qualification attempts worked in the workbench."""
