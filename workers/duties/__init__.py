"""The scheduler's duties, one module each: ``run_once(now) -> int`` run by the duty loop."""
