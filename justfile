# BookReader — operator recipes. `just --list` shows them all.
# Everything runs from the project's own virtualenv (.venv), created on first use.

set shell := ["bash", "-euo", "pipefail", "-c"]
set positional-arguments

venv := ".venv"
py := venv / "bin/python"

# serve the API with an embedded ARQ worker (embedded Postgres + Redis unless DATABASE_URL / REDIS_URL are set)
run: setup
    {{py}} -m bookreader serve

# the linters and type checker, then the whole test suite (real Postgres, Redis, ARQ worker, HTTP/WebSocket
# clients, headless Chromium): what CI runs
test *ARGS: lint browser epubcheck
    PYTHONDONTWRITEBYTECODE= {{py}} -m pytest "$@"

# the edit loop: unit + integration tests without the browser, fault and slow ones (goal: under two minutes),
# on both cores: two pytest-xdist workers, each with its own database, Redis and service; a file's tests stay
# on one worker (module fixtures are built once). The suite starts ~100 Python processes (services, CLIs, pool
# fork servers): with PYTHONDONTWRITEBYTECODE set (as in some shells and containers) each compiled every module
# it imported from source again, ~1 CPU-s a process; the tests' runs write bytecode (__pycache__ is ignored).
test-fast *ARGS: setup
    PYTHONDONTWRITEBYTECODE= {{py}} -m pytest tests/unit tests/integration -m "not e2e and not slow" -n 2 --dist loadfile "$@"

# browser end-to-end tests only (headless Chromium); screenshots land in test-artifacts/screenshots/
e2e *ARGS: setup browser
    {{py}} -m pytest tests/e2e -m e2e "$@"

# the UI screenshots (library, reader, stats, admin) → test-artifacts/screenshots/, via the e2e tests
screenshots: setup browser
    {{py}} -m pytest tests/e2e -m e2e -q
    ls -l test-artifacts/screenshots/

# create .venv with exactly the versions in uv.lock, the project editable, its dev tools (skipped when
# pyproject.toml and uv.lock are unchanged). After changing dependencies: `.venv/bin/uv lock`.
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x {{py}} ]; then python3 -m venv {{venv}}; fi
    stamp={{venv}}/.installed
    want=$( (cat pyproject.toml uv.lock; echo bytecode) | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        if [ ! -x {{venv}}/bin/uv ]; then {{py}} -m pip install -q --disable-pip-version-check uv; fi
        # --locked: fail when uv.lock no longer matches pyproject.toml instead of installing something else
        # --compile-bytecode: every process (the tests start many) loads .pyc files instead of compiling
        UV_PROJECT_ENVIRONMENT={{venv}} {{venv}}/bin/uv sync -q --locked --extra dev --python {{py}} --compile-bytecode
        echo "$want" > "$stamp"
    fi

# Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; its own download cannot work here)
browser:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x /usr/bin/chromium ]; then
        if [ "$(id -u)" = 0 ]; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
        else
            echo "warning: /usr/bin/chromium missing; run 'sudo apt-get install -y chromium' for the browser tests" >&2
        fi
    fi

# Debian's epubcheck for the export tests (they validate every illustrated EPUB we write; issue 14)
epubcheck:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -f /usr/share/java/epubcheck.jar ]; then
        if [ "$(id -u)" = 0 ]; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq epubcheck) >/dev/null
        else
            echo "warning: epubcheck missing; run 'sudo apt-get install -y epubcheck' for the export tests" >&2
        fi
    fi

# the API alone (scale-out: run workers separately)
api: setup
    {{py}} -m bookreader api

# the ARQ worker alone
worker: setup
    {{py}} -m bookreader worker

# apply database migrations
migrate: setup
    {{py}} -m bookreader migrate

# import books with a progress bar: just import ~/Books --recursive --user you@example.com
import *ARGS: setup
    {{py}} -m bookreader import "$@"

# create an admin account (or promote an existing one): just create-admin you@example.com
create-admin EMAIL: setup
    {{py}} -m bookreader create-admin "$1"

# ruff and mypy (strict on ingest/, nlp/, core/: [tool.mypy] in pyproject.toml); biome and tsc (the
# `// @ts-check` JSDoc types, jsconfig.json) on the web UI
lint: setup node-tools
    {{venv}}/bin/ruff check src tests bench training
    {{venv}}/bin/ruff format --check src tests bench training
    {{venv}}/bin/mypy
    node_modules/.bin/biome lint static/js
    node_modules/.bin/tsc -p jsconfig.json

# the web UI's dev tools (biome, typescript) pinned in package-lock.json, into node_modules/ (skipped when the
# lock is unchanged); nothing of it is served: the browser loads static/ as it is
node-tools:
    #!/usr/bin/env bash
    set -euo pipefail
    stamp=node_modules/.installed
    want=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        if ! command -v npm >/dev/null; then
            echo "error: npm missing (Debian: apt-get install -y nodejs npm)" >&2; exit 1
        fi
        npm ci --no-audit --no-fund --loglevel=error
        echo "$want" > "$stamp"
    fi

fmt: setup
    {{venv}}/bin/ruff check --fix src tests bench training
    {{venv}}/bin/ruff format src tests bench training

# every benchmark
bench: bench-ingest bench-nlp bench-images bench-load bench-reading bench-opds bench-export

bench-ingest: setup
    {{py}} bench/bench_ingest.py

bench-nlp: setup
    {{py}} bench/bench_nlp.py

bench-images: setup
    {{py}} bench/bench_images.py

bench-load: setup
    {{py}} bench/bench_load.py

# OPDS catalog pages of a 10,000-book library (goal: p99 ≤ 50 ms)
bench-opds: setup
    {{py}} bench/bench_opds.py

# progress writes, session heartbeats and the stats page through the running app
bench-reading: setup
    {{py}} bench/bench_reading.py

# the illustrated EPUB export of a 200-chapter book with 100 pictures (issue 14; goal: ≤ 5 s)
bench-export *ARGS: setup
    {{py}} bench/bench_export.py "$@"

# what keeping every version of a picture costs GET chapter (issue 14): 1 vs 5 versions per picture
bench-picture-versions *ARGS: setup
    {{py}} bench/bench_picture_versions.py "$@"

# full-text search p99 over a library of 1,000 novels (issue 15)
bench-search *ARGS: setup
    {{py}} bench/bench_search.py "$@"

# bulk import: books/hour for 200 books, GET chapter p99 during the import vs idle (issue 15)
bench-import *ARGS: setup
    {{py}} bench/bench_import.py "$@"

# the reading path vs bare ASGI/Litestar + asyncpg baselines with wrk, one run (issue 17): just bench-http [--duration 20]
# [--ingest-only: GET chapter at 16 connections idle vs while 5 MB books ingest, the p99 ratio alone]
bench-http *ARGS: setup wrk
    {{py}} bench/bench_http.py "$@"

# Debian's wrk load generator for bench-http
wrk:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v wrk >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
            (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null
        else
            echo "error: wrk missing; run 'sudo apt-get install -y wrk'" >&2; exit 1
        fi
    fi

# per-type P/R/F1, painterly F1, top-3 per chapter and calibration on the corpus' test split: rules, model, both
eval-nlp *ARGS: setup
    {{py}} bench/eval_nlp.py "$@"

# retrain the shipped sentence classifier from nlp-corpus/ (fixed seed) → src/bookreader/nlp/models/<lang>
train-nlp *LANGS: setup
    {{py}} training/train_nlp.py "$@"

# queue books analysed by an older NLP model for re-analysis (pictures of surviving passages stay):
# just reanalyze [--older-than en-3-… | 3] [--book ID]
reanalyze *ARGS: setup
    {{py}} -m bookreader reanalyze "$@"

# pg_dump + the data folder's files into one archive: just backup [ARCHIVE]
backup *ARGS: setup
    {{py}} -m bookreader backup "$@"

# restore an archive made by `just backup`
restore ARCHIVE: setup
    {{py}} -m bookreader restore "$1"

# follow the service's logs (embedded mode writes them under the data folder)
logs:
    tail -n 200 -F "${BOOKREADER_DATA_DIR:-./.data}/logs/bookreader.log"
