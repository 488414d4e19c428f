FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 kenes
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY db ./db
COPY fakegram ./fakegram
COPY seed ./seed
# Editable: the code finds seed/ (plan, calendars) beside itself in /app.
RUN pip install -e . && mkdir -p /app/data && chown kenes:kenes /app/data
# Not root: the bot needs to write only /app/data (the SQLite database, attached files,
# backups, imported plans, its heartbeat).
USER kenes
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/kenes.db
VOLUME ["/app/data"]
# RUN_MODE=webhook: the webhook server (WEBHOOK_HOST=0.0.0.0 in a container), behind the proxy
# that holds the TLS certificate.
EXPOSE 8080
# Well = every school's database answers: in webhook mode GET /healthz; by polling the
# heartbeat file the bot rewrites every 30 s (python -m bot health reads the settings to know).
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 \
  CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot"]
