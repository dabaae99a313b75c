# The README's two commands: `make lab` and `make test`.
VENV ?= .venv

.PHONY: lab test test-fast bench clean-cache

lab:            ## set up, then launch JupyterLab on notebooks/ (127.0.0.1, token)
	scripts/bootstrap.sh lab
	$(VENV)/bin/pathconvex-lab lab

test:           ## set up (incl. chromium), then run the whole test suite, browser tests included
	scripts/bootstrap.sh test
	$(VENV)/bin/python -m pytest

test-fast:      ## quick loop for developers: no slow and no browser tests
	$(VENV)/bin/python -m pytest -m "not slow and not browser" -q

bench:          ## run the benchmarks (prints ratio tables; see benchmarks/README.md)
	for f in benchmarks/bench_*.py benchmarks/convex_solvers.py; do [ -f $$f ] && $(VENV)/bin/python $$f --quick; done
