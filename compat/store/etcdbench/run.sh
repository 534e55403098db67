#!/bin/sh
# Runs every side-by-side benchmark (etcd and coxswain in one run each);
# output in bench.txt. etcd's shutdown logs are filtered out.
set -e
cd "$(dirname "$0")"
{
go test -run '^$' -bench 'BenchmarkCreate|BenchmarkUpdate' -benchtime 3000x -timeout 60m
go test -run '^$' -bench 'BenchmarkWatchFanout' -benchtime 2000x -timeout 60m
go test -run '^$' -bench 'BenchmarkListSelected' -benchtime 3x -timeout 60m
} 2>&1 | grep -v '^{"level"' | tee bench.txt
