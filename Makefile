# The course's commands. `make lab` to learn, `make test` to check everything.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STUDENT_DIR := build/student
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab test unit notebooks student grade benchmark clean

# Create the virtual environment and install the course (editable) with its test tools.
# Re-runs only when pyproject.toml changes.
install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --editable '.[test]'
	touch $@

lab: install
	@echo "Starting JupyterLab on the course notebooks: open the http://localhost:$(PORT)/lab?token=... URL printed below."
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) --no-browser $(ALLOW_ROOT)

# Student versions of every notebook, released with nbgrader (solutions and hidden tests
# removed, outputs cleared) into $(STUDENT_DIR).
student: install
	rm -rf $(STUDENT_DIR)
	$(BIN)/python -m aecourse.grading release --to $(STUDENT_DIR)

# Autograde a folder of submissions (one subfolder per student): build/grades/grades.csv + feedback.
grade: install
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-with-one-subfolder-per-student"; exit 2; }
	$(BIN)/python -m aecourse.grading grade $(SUBMISSIONS) --out build/grades

# Unit tests, then every notebook and its student version, headless, in the fast `test` profile.
test: student
	AECOURSE_PROFILE=test $(BIN)/python -m pytest tests --nbval-lax --nbval-cell-timeout=600 notebooks $(STUDENT_DIR)

unit: install
	$(BIN)/python -m pytest tests

notebooks: student
	AECOURSE_PROFILE=test $(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=600 notebooks $(STUDENT_DIR)

benchmark: install
	$(BIN)/python benchmarks/epoch_speed.py

clean:
	rm -rf build .pytest_cache
	find course -mindepth 1 -maxdepth 1 ! -name nbgrader_config.py -exec rm -rf {} +
