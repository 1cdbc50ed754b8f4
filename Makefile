# Every target creates .venv and installs what it needs when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-dates lint typecheck bench mutate reliability clean catalogs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The message catalogs (i18n/locales/*/LC_MESSAGES/ponto_slack.po), compiled for gettext when they change.
CATALOGS := $(wildcard i18n/locales/*/LC_MESSAGES/ponto_slack.po)
$(VENV)/.catalogs: $(STAMP) $(CATALOGS)
	$(BIN)/pybabel compile --statistics -d i18n/locales -D ponto_slack
	touch $@

# After changing a user-facing text: extract every `_(locale, ...)` and `N_(locale, ...)` and update the
# catalogs; new texts then need their Dutch and French (the catalog test says which).
catalogs: $(STAMP)
	$(BIN)/pybabel extract --no-location --omit-header --no-default-keywords -k _:2 -k N_:2,3 \
	  -o i18n/ponto_slack.pot bot worker web
	$(BIN)/pybabel update --no-fuzzy-matching -i i18n/ponto_slack.pot -d i18n/locales -D ponto_slack

# `make demo PORT=8100` for another port; the invoice API answers to the demo token unless API_TOKEN is set;
# once connected, the demo's invoices arrive and the bank books a line every 20 s (DEMO_TRICKLE_SECONDS, 0: off).
PORT ?= 8000
demo: $(STAMP) $(VENV)/.catalogs
	API_TOKEN="$${API_TOKEN:-demo-api-token}" DEMO_TRICKLE_SECONDS="$${DEMO_TRICKLE_SECONDS:-20}" \
	  $(BIN)/ponto-slack serve --port $(PORT)

test: $(STAMP) $(VENV)/.chromium $(VENV)/.catalogs
	$(BIN)/python -m pytest

# The browser test drives Debian's Chromium (with an emoji font for the screenshots): installed here when
# missing and possible (root and apt); otherwise that test is skipped and says why.
$(VENV)/.chromium: $(STAMP)
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi 'color emoji'; } \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && { apt-get install -y -q chromium fonts-noto-color-emoji >/dev/null 2>&1 \
	            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium fonts-noto-color-emoji >/dev/null 2>&1; }; }; } \
	  || echo "Chromium could not be installed here: the browser test will be skipped"
	touch $@

# The suite on other dates (a year's end, a leap day, a date in the past): nothing may depend on today.
TEST_DATES ?= 2026-12-31 2027-02-28 2028-02-29 2026-06-15
test-dates: $(STAMP)
	for day in $(TEST_DATES); do TEST_TODAY=$$day $(BIN)/python -m pytest -q -p no:cacheprovider || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Strict where the core is pure (money, matching, invoices) or a boundary (ponto, storage); checked elsewhere.
typecheck: $(STAMP)
	$(BIN)/mypy --strict money i18n ponto matching invoices storage
	$(BIN)/mypy worker bot web sandbox harness bench migrations

# The scale-out test at length: two web and three worker processes, 50 organizations, a SIGKILL every few
# seconds, faults on both sides (PostgreSQL on 127.0.0.1:5432 or TEST_POSTGRES_URL; a short version runs
# in `make test`).
reliability: $(STAMP)
	RELIABILITY=1 $(BIN)/python -m pytest -q -s -p no:randomly tests/e2e/test_scale_out.py

# Every benchmark (matching_scale and ingest alone took 17 minutes on 2 cores); `make bench ONLY="matching_scale ingest"` runs those.
bench: $(STAMP)
	$(BIN)/python -m bench $(ONLY)

# Mutation testing of the modules listed under [tool.mutmut] in pyproject.toml (over an hour, not in CI):
# each mutant must make a test fail; `$(BIN)/mutmut results` lists the survivors.
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mutate]'
	MUTATION_QUICK=1 $(BIN)/mutmut run
	$(BIN)/mutmut results

clean:
	rm -rf mutants $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache
