# The README's two commands: `make lab` and `make test`.
VENV ?= .venv
PYTEST_ARGS ?=

.PHONY: lab test test-fast test-browser doctor bench docs

lab:            ## set up, then launch JupyterLab on notebooks/ (127.0.0.1, token)
	scripts/bootstrap.sh lab
	$(VENV)/bin/pathconvex-lab lab

test:           ## set up (incl. chromium), then run the whole test suite, browser tests included
	scripts/bootstrap.sh test
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast:      ## quick loop for developers: no slow and no browser tests
	$(VENV)/bin/python -m pytest -m "not slow and not browser" -q $(PYTEST_ARGS)

test-browser:   ## only the browser tests (JupyterLab in headless chromium)
	scripts/bootstrap.sh test
	$(VENV)/bin/python -m pytest -m browser $(PYTEST_ARGS)

doctor:         ## is the environment ready? (versions, solvers, device, chromium, lab extensions)
	$(VENV)/bin/pathconvex-lab doctor

bench:          ## run the benchmarks (prints ratio tables; see benchmarks/README.md)
	for f in benchmarks/bench_*.py benchmarks/convex_solvers.py; do [ -f $$f ] && $(VENV)/bin/python $$f --quick; done

docs:           ## build the documentation site offline into docs/_build/html (warnings are errors; runs the notebooks)
	scripts/bootstrap.sh test
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
