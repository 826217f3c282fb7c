# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run test deps assets translations db demo lint bench clean

# gunicorn with threads, as in production (gunicorn.conf.py); gunicorn starts the job
# runner (mail, search index, periodic jobs) beside its worker unless REDIS_URL is set.
run: deps
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) search reindex --if-empty
	@echo "Tremplin: http://$(HOST):$(PORT)"
	TREMPLIN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The whole suite on SQLite, then the database tests again on PostgreSQL when it answers
# (CI=true makes a missing PostgreSQL, Redis or Chromium a failure, never a skip).
test: deps
	$(BIN)/python -m tests.run

deps: $(VENV)/.installed static/vendor/socket.io.min.js translations static/icons/favicon.ico

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/socket.io.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js

# The app's icons (favicon, PWA icons) drawn from the SVG logo at build time, never committed.
static/icons/favicon.ico: static/img/logo.svg scripts/make_icons.py tremplin/site/drawing.py tremplin/site/icons.py $(VENV)/.installed
	$(BIN)/python scripts/make_icons.py

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations

# Refresh the message catalogues after adding strings to the code or templates.
extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations

lint: $(VENV)/.installed
	$(BIN)/ruff check .

bench: deps
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules static/vendor instance/tremplin.sqlite3* instance/search-index \
		instance/jobs.sqlite3* instance/static-build
