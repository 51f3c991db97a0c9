# raqib in a container: the `raqib` console script as entrypoint, run as a non-root user, its
# SQLite store (when no PostgreSQL URL is given) in the /data volume. `docker compose up` runs it
# beside PostgreSQL (compose.yaml); `.ci/run` builds this image where Docker answers.

# Build stage: wheels of raqib and its dependencies, so the final image carries no build cache.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin raqib
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels raqib && rm -rf /wheels
WORKDIR /app
# The documented example config (its relative paths name these seeds) and the default watchlists.
COPY config.example.toml ./
COPY seeds ./seeds
RUN mkdir -p /data && chown raqib:raqib /data
USER raqib
# Mount your own config (written by `raqib init`) and point RAQIB_CONFIG at it; tokens come from
# the environment only (RAQIB_TELEGRAM_TOKEN, RAQIB_DISCORD_TOKEN).
ENV RAQIB_CONFIG=/app/config.example.toml \
    RAQIB_DATABASE_URL=sqlite:////data/raqib.db
VOLUME ["/data"]
ENTRYPOINT ["raqib"]
CMD ["run"]
