#!/bin/sh
# Runs every side-by-side benchmark: in each process etcd and coxswain run
# the same workload one after the other. The machine is shared and noisy,
# so the write and watch workloads run ROUNDS times (default 3), and the
# load average is recorded between rounds. Writes bench.txt (raw output)
# and ratios.txt (coxswain over etcd per round, and the median; see
# ratios.awk).
set -e
cd "$(dirname "$0")"
ROUNDS=${ROUNDS:-3}
: >bench.txt
log() { sed 's/{"level".*}//' | tee -a bench.txt; }
echo "load: $(cat /proc/loadavg)" | log
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	go test -run '^$' -bench 'BenchmarkCreate|BenchmarkUpdate' -benchtime 3000x -timeout 60m 2>&1 | log
	go test -run '^$' -bench 'BenchmarkWatchFanout' -benchtime 2000x -timeout 60m 2>&1 | log
	echo "load: $(cat /proc/loadavg)" | log
	i=$((i + 1))
done
go test -run '^$' -bench 'BenchmarkListSelected' -benchtime 3x -timeout 60m 2>&1 | log
awk -f ratios.awk bench.txt | tee ratios.txt
