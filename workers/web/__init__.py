"""The HTTP door of `vstep-grading serve`: signed callbacks, health, readiness, metrics.

Routes stay thin: they parse, call the one result path (``workers/results.py``) and map
error classes to statuses in one table (``errors.py``). Built from settings by
``workers/assembly.py``.
"""
