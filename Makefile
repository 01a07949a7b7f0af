# The course's commands. `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STUDENT_DIR := build/student
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

# The test suite runs on both cores (pytest-xdist); each notebook, and the browser tests, stay on one
# worker (--dist loadscope), and each worker's PyTorch uses one thread so the two do not fight.
# Nobody watches a test run: AECOURSE_LIVE=0 draws a training run's live view once, at the end (aecourse.live).
PYTEST := OMP_NUM_THREADS=1 AECOURSE_PROFILE=test AECOURSE_LIVE=0 AECOURSE_INSTANT=0 $(BIN)/python -m pytest
PARALLEL := -n 2 --dist loadscope --durations=15

.PHONY: install lab reset lab-solutions lecture warm test quick unit lint notebooks sync execute student grade slides benchmark clean no-npm

# Create the virtual environment and install the course (editable) with its test tools.
# Re-runs only when pyproject.toml changes. EXACT=1 installs the versions the committed notebooks were
# executed with (constraints.txt), to reproduce their numbers exactly.
install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --editable '.[test]' $(if $(EXACT),--constraint constraints.txt)
	touch $@

# The course's JupyterLab never reaches the network on its own: no news feed, no update check, and no
# "Would you like to get notified about official Jupyter news?" box (settings: tools/jupyterlab/overrides.json).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
OFFLINE_LAB := --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate
$(LAB_SETTINGS): tools/jupyterlab/overrides.json $(VENV)/.installed
	mkdir -p $(dir $@)
	cp $< $@

# What the offline slide decks load (reveal.js, MathJax 2, require.js, jQuery), from npm, pinned in
# tools/slides/package-lock.json; copied beside the decks by tools/slides/build.py.
SLIDES_LIB := tools/slides/node_modules/.package-lock.json
$(SLIDES_LIB): tools/slides/package.json tools/slides/package-lock.json
	@command -v npm >/dev/null || { echo "make slides needs npm (Node.js): e.g. apt-get install npm"; exit 2; }
	cd tools/slides && npm ci --no-audit --no-fund

# The tests install them too when npm is there; without npm, `make test` says so and goes on, and
# tests/test_slides.py skips the tests that need them, with the reason.
TEST_SLIDES_LIB := $(if $(shell command -v npm 2>/dev/null),$(SLIDES_LIB),no-npm)
no-npm:
	@echo "npm not found: the slide-deck tests will be skipped (install Node.js/npm, e.g. apt-get install npm, to run them)"

# Every notebook as an offline reveal.js deck with its committed outputs: build/slides/NN_name.slides.html.
slides: install $(SLIDES_LIB)
	$(BIN)/python tools/slides/build.py

# The learner's workspace/: the exercises to do, no solutions. Made on the first run; later runs only add
# notebooks that are new to the course and never touch yours.
lab: install $(LAB_SETTINGS)
	$(BIN)/python -m aecourse.workspace
	@echo "Starting JupyterLab in workspace/: open the http://localhost:$(PORT)/lab?token=... URL printed below."
	$(BIN)/jupyter lab --notebook-dir=workspace --port=$(PORT) --no-browser $(OFFLINE_LAB) $(ALLOW_ROOT)

# A fresh copy of one workspace notebook (asks first, or YES=1; the old one is kept in workspace/.replaced/).
reset: install
	@test -n "$(NB)" || { echo "usage: make reset NB=03"; exit 2; }
	$(BIN)/python -m aecourse.workspace --reset $(NB) $(if $(YES),--yes)

# The instructor's notebooks with their worked solutions and committed results.
lab-solutions: install $(LAB_SETTINGS)
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) --no-browser $(OFFLINE_LAB) $(ALLOW_ROOT)

# A lecture: the notebooks with their solutions, in instant mode (training results come from the cache
# that `make warm` filled; see aecourse/instant.py and docs/INSTRUCTORS.md).
lecture: install $(LAB_SETTINGS)
	AECOURSE_INSTANT=1 $(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) --no-browser $(OFFLINE_LAB) $(ALLOW_ROOT)

# Fill the instant-mode cache: run every notebook once (laptop profile, or PROFILE=full), the night before.
# The runs go to build/warm/; the committed notebooks are not touched.
warm: install
	@for notebook in notebooks/*.ipynb; do \
		start=$$(date +%s); \
		AECOURSE_INSTANT=1 AECOURSE_LIVE=0 AECOURSE_PROFILE=$(or $(PROFILE),laptop) $(BIN)/jupyter nbconvert \
			--to notebook --execute --ExecutePreprocessor.timeout=7200 --output-dir build/warm $$notebook \
			>/dev/null 2>&1 || { echo "$$notebook failed: run it in JupyterLab to see why"; exit 1; }; \
		echo "$$notebook: $$(( $$(date +%s) - start )) s"; \
	done

# Student versions of every notebook for a graded course, released with nbgrader (solutions and
# hidden tests removed, outputs cleared, solutions never shown by the checks) into $(STUDENT_DIR).
student: install
	rm -rf $(STUDENT_DIR)
	$(BIN)/python -m aecourse.grading release --to $(STUDENT_DIR)

# Autograde a folder of submissions (one subfolder per student): build/grades/grades.csv + feedback, and the
# class report (pass rate, mean points and most common mistakes per exercise): build/grades/report.{md,csv}.
grade: install
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-with-one-subfolder-per-student"; exit 2; }
	$(BIN)/python -m aecourse.grading grade $(SUBMISSIONS) --out build/grades

# Everything, in the fast `test` profile: unit tests and the conventions check, every notebook with
# nbval, every student version in JupyterLab in a real browser, the nbgrader pipeline.
test: install $(LAB_SETTINGS) $(TEST_SLIDES_LIB)
	$(PYTEST) $(PARALLEL) tests --nbval-lax --nbval-cell-timeout=600 notebooks

# The quick tier, on both cores: ruff (lint and import order, notebooks included), unit tests and the conventions check,
# no notebook execution (under a minute).
quick: install
	$(PYTEST) -n 2 -m "not slow" --durations=5 tests

lint: install
	$(BIN)/python -m aecourse.course lint notebooks

# tests/ only: the quick tier plus the grading and browser tests.
unit: install $(LAB_SETTINGS) $(TEST_SLIDES_LIB)
	$(PYTEST) $(PARALLEL) tests

notebooks: install
	$(PYTEST) $(PARALLEL) --nbval-lax --nbval-cell-timeout=600 notebooks

# Each notebook has one text source, notebooks/NN_name.md (MyST Markdown, paired by jupytext; see
# CONTRIBUTING.md). `make sync` brings every pair up to date: the file changed last is followed, and the
# executed notebook keeps the outputs of every cell whose code did not change.
sync: install
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.ipynb

# Sync one notebook with its text source, then run it top to bottom in place, in the default `laptop`
# profile (or PROFILE=...), and say how long it took: this is how the committed notebooks are made.
# `make execute NB=03`.
execute: install
	@test -n "$(NB)" || { echo "usage: make execute NB=03 [PROFILE=laptop]"; exit 2; }
	$(BIN)/jupytext --sync notebooks/$(NB)_*.ipynb
	@start=$$(date +%s); AECOURSE_PROFILE=$(or $(PROFILE),laptop) AECOURSE_LIVE=0 AECOURSE_INSTANT=0 $(BIN)/jupyter nbconvert --to notebook --execute \
		--inplace --ExecutePreprocessor.timeout=7200 notebooks/$(NB)_*.ipynb \
		&& echo "notebooks/$(NB)_*.ipynb executed in $$(( $$(date +%s) - start )) s"
	$(BIN)/jupytext --sync notebooks/$(NB)_*.ipynb

benchmark: install
	$(BIN)/python benchmarks/epoch_speed.py

clean:
	rm -rf build .pytest_cache
	find course -mindepth 1 -maxdepth 1 ! -name nbgrader_config.py -exec rm -rf {} +
