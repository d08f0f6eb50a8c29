# Lantern's two set-up commands (see README.md):
#   make run    install into .venv and serve the bundled library on http://127.0.0.1:8321/
#   make test   install into .venv (with test tools, Debian's chromium, zbar-tools and qemu-user),
#               lint with ruff and run the tests
# Both install only what is missing, so running them again is quick.

PYTHON ?= python3
VENV   ?= .venv
APT    := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get
ARGS   ?=

.PHONY: run test bench bench-pages translations system-packages browser-packages

run: $(VENV)/.installed
	$(VENV)/bin/kit serve $(ARGS)

test: $(VENV)/.installed-test browser-packages
	$(VENV)/bin/ruff check kit tests bench build
	$(VENV)/bin/python -m pytest $(ARGS)

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/library_bench.py

# Pages and search side by side with kiwix-serve (installs python3.11-doc, zim-tools,
# kiwix-tools and wrk from Debian when missing); see bench/pages_bench.py.
bench-pages: $(VENV)/.installed-test
	$(VENV)/bin/python bench/pages_bench.py $(ARGS)

# The UI's words: extract them from the code and templates (babel.cfg), add new ones to every
# language's catalog (kit/translations/<lang>/LC_MESSAGES/messages.po; translate the empty
# msgstr lines there), and compile the .mo files the kit reads (committed, so a fresh clone,
# the wheel and the stick's program have them). tests/test_translations.py fails on a missing one.
translations:
	$(VENV)/bin/pybabel extract -F babel.cfg -k _plural_forms:2,3 -k lazy_text -k lazy_plural:1,2 -k marked --no-location --no-wrap --sort-output \
	  --project=Lantern --copyright-holder="Lantern's authors" -o kit/translations/messages.pot .
	$(VENV)/bin/pybabel update -i kit/translations/messages.pot -d kit/translations --no-wrap \
	  --ignore-obsolete
	$(VENV)/bin/pybabel compile -d kit/translations --statistics

# Debian's Python needs python3-venv; llama-cpp-python compiles with a C++ compiler.
system-packages:
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null && command -v g++ >/dev/null || \
	  { $(APT) update -qq && $(APT) install -y -qq python3-venv python3-dev build-essential; }

browser-packages:
	@command -v chromium >/dev/null || \
	  { $(APT) update -qq && $(APT) install -y -qq chromium; }
	@command -v qemu-x86_64 >/dev/null || [ "$$(uname -m)" != x86_64 ] || \
	  { $(APT) update -qq && $(APT) install -y -qq qemu-user; }
	@command -v zbarimg >/dev/null || \
	  { $(APT) update -qq && $(APT) install -y -qq zbar-tools; }

# build/engine_wheel.py installs llama.cpp built for every CPU (its first run compiles for
# about 8 minutes; the wheel is cached in ~/.cache/lantern), before pip sees the pin.
$(VENV)/.installed: pyproject.toml build/engine_wheel.py | system-packages
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/python build/engine_wheel.py --install
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml build/engine_wheel.py | system-packages
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/python build/engine_wheel.py --install
	$(VENV)/bin/pip install -q -e '.[test,build]'
	touch $@
