# The commands of README.md. Each one sets up what it needs first, and reuses what exists.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The CPU build of torch: a bare range would let pip pick a CUDA build of several GB.
TORCH ?= torch==2.13.0
PLUGINS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
SERVICE_URLS := DATABASE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND
# The browser tests drive Debian's Chromium: Playwright's own browser download needs a network
# this platform must not depend on. The proxy tests run the production shape's nginx config.
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
TEST_SYSTEM_PACKAGES := chromium chromium-driver nginx

.PHONY: setup demo lint test test-embedded test-services bench bench-gpu clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml workers/pyproject.toml $(addsuffix /pyproject.toml,$(PLUGINS))
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test,monitoring]" -e "./workers[serving]" $(addprefix -e ./,$(PLUGINS))
	touch $@

setup: $(STAMP)

$(CHROMIUM) $(NGINX):
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get install -y -q $(TEST_SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q $(TEST_SYSTEM_PACKAGES) >/dev/null; }

demo: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	$(PY) manage.py runplatform

# The whole suite on the embedded default, then again on PostgreSQL + Redis when their URLs
# are set (.ci/run sets them). The second pass runs only what the services can change: tests
# that reach the database or start workers, less those marked services_neutral (tests/conftest.py).
test: lint test-embedded test-services

# ruff, configured in pyproject.toml: pyflakes, pycodestyle, import order, bugbear, pyupgrade.
lint: setup
	$(PY) -m ruff check .

test-embedded: setup $(CHROMIUM) $(NGINX)
	env $(addprefix -u ,$(SERVICE_URLS)) $(PY) -m pytest $(PYTEST_ARGS)

test-services: setup $(CHROMIUM) $(NGINX)
	@if [ -z "$$DATABASE_URL" ] || [ -z "$$CELERY_BROKER_URL" ]; then \
		echo "services mode not run: set DATABASE_URL and CELERY_BROKER_URL (as .ci/run does)"; \
	else \
		$(PY) -m pytest $(PYTEST_ARGS); \
	fi

# Each benchmark compares, in one run on this machine, against the plain approach.
bench: setup
	$(PY) -m bench.fine_tuning
	$(PY) -m bench.inference --million
	$(PY) -m bench.inference --host-only
	$(PY) -m bench.sharded_inference
	$(PY) -m bench.serving
	$(PY) -m bench.sweep

# On a machine with a CUDA GPU: the inference benchmark in bf16 (`make test` there also runs the
# GPU tests, which skip elsewhere).
bench-gpu: setup
	$(PY) -m bench.inference --device cuda --rows 16000

clean:
	rm -rf var/ .pytest_cache
