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
USER kenes
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/kenes.db
VOLUME ["/app/data"]
CMD ["python", "-m", "bot"]
