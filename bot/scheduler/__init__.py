"""The scheduler: `planner` (what is due, pure), `jobs` (the tick that enqueues it) and
`outbox` (sending every message once, paced)."""
