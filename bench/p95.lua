-- wrk reports 50/75/90/99th percentiles; the bench wants the 95th.
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\n", latency:percentile(95)))
end
