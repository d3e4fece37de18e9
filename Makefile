# The two commands of the README, plus the benchmarks (`make bench BENCH=baselines.pg` picks
# some). The scripts do the work.
.PHONY: run test bench

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh $(BENCH)
