# syntax=docker/dockerfile:1
# One image for every Indus process: web, migrate, cpu and gpu workers, beat and flower.
# docker-compose.yml chooses the process by its command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app/platform \
    INDUS_VAR_DIR=/var/lib/indus \
    INDUS_STATIC_ROOT=/app/static

RUN groupadd --system --gid 10001 indus \
    && useradd --system --uid 10001 --gid indus --create-home --home-dir /home/indus indus

WORKDIR /app

# torch first, in its own layer: it is by far the largest download and changes least.
# The default spec resolves to the CUDA build; for a CPU-only image pass the URL of a CPU
# wheel index as --build-arg TORCH_INDEX_URL=...
ARG TORCH_SPEC="torch>=2.4,<2.14"
ARG TORCH_INDEX_URL=""
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "$TORCH_SPEC"

COPY pyproject.toml README.md manage.py ./
COPY platform platform
COPY workers workers
COPY plugins plugins

# One pip call for the platform, the workers and every plugin, so that one resolver sees all
# their requirements at once. A folder under plugins/ without a pyproject.toml is skipped.
RUN --mount=type=cache,target=/root/.cache/pip \
    set -eu; \
    plugin_dirs=""; \
    for dir in plugins/*/; do \
        if [ -f "${dir}pyproject.toml" ]; then plugin_dirs="$plugin_dirs ./${dir%/}"; fi; \
    done; \
    pip install ".[s3,monitoring]" "./workers[serving]" $plugin_dirs

# Static files are part of the image (served by whitenoise), so they are collected here. The
# key and var folder are throwaways: collectstatic needs settings, not secrets or state.
RUN SECRET_KEY=collectstatic-build-only INDUS_VAR_DIR=/tmp/indus-build \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/indus-build

# The artifacts folder exists in the image and belongs to the app user, so that an empty named
# volume mounted on it starts with that owner.
RUN mkdir -p /var/lib/indus/artifacts && chown -R indus:indus /var/lib/indus

USER indus
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "indus.wsgi:application"]
