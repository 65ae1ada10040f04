"""Reports rendered from the marts for people who read them outside the dashboard (pure functions)."""
