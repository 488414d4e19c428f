"""Sending side of the scheduler: the outbox (`bot.scheduler.outbox`)."""
