-- wrk script: at the end of a run, print its figures as one JSON line for bench/run.py.
-- Latencies are in milliseconds; "status" errors are answers of 400 and up.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1000000
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"seconds":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"mean_ms":%.3f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    latency.mean / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
