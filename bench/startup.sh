#!/usr/bin/env bash
# Start-up time and idle memory of the compiled binary, copied alone into an empty folder.
# Usage: bench/startup.sh [path/to/bodydock]   (build first: npm run build)
set -euo pipefail
bin=${1:-dist/bodydock}
dir=$(mktemp -d)
cp "$bin" "$dir/"
port=$((20000 + RANDOM % 20000))
echo "size: $(stat -c %s "$dir/bodydock") bytes"
for run in 1 2 3 4 5; do
  rm -rf "$dir/data"
  t0=$(date +%s%N)
  (cd / && exec "$dir/bodydock" serve --port "$port" --host 127.0.0.1 --log-level warn >/dev/null) &
  pid=$!
  until "$dir/bodydock" healthcheck --port "$port" >/dev/null 2>&1; do sleep 0.002; done
  t1=$(date +%s%N)
  echo "run $run: ready in $(( (t1 - t0) / 1000000 )) ms (fresh data dir)"
  if [ "$run" = 5 ]; then sleep 10; echo "idle RSS after 10 s: $(grep VmRSS /proc/$pid/status | awk '{print $2}') KiB"; fi
  kill -TERM "$pid"; wait "$pid"
done
rm -rf "$dir"
