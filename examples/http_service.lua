-- wrk script of examples/http_service.rs: `wrk … -s http_service.lua URL -- ROUTE`
-- loads one route: health (/health), items (/items/{id}, ids 1..1100 of which
-- 1001..1100 are missing) or search (/search?q=WORD). When wrk is done it
-- prints one line that the example reads back:
--   wrk-result requests=N error_status=N errors=N duration_us=N p50_us=N p99_us=N

local route = "health"
local words = { "rust", "tokio", "flame", "graph", "cache", "query", "async", "trace" }

function init(args)
  route = args[1] or "health"
end

function request()
  if route == "items" then
    return wrk.format("GET", "/items/" .. math.random(1, 1100))
  elseif route == "search" then
    return wrk.format("GET", "/search?q=" .. words[math.random(#words)])
  end
  return wrk.format("GET", "/health")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d error_status=%d errors=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
