-- The gateway benchmark's load (api/benches/gateway.rs runs wrk with it): POSTs a GraphQL request to the URL wrk is
-- given, and prints one JSON line of figures when done.
--
--   WRK_BODY                 the whole body, the same every request (cached, and the plain handler), or
--   WRK_BEFORE, WRK_AFTER    the body around a different instant of the day WRK_DAY (YYYY-MM-DD) per request
--   WRK_OFFSET               milliseconds into the day of the first instant (rows use apart ranges)
--
-- wrk builds a fixed request once; `request` is defined only for varying bodies, which are built per request.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")

local day = os.getenv("WRK_DAY")
local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

if day then
  local before, after = os.getenv("WRK_BEFORE"), os.getenv("WRK_AFTER")
  local offset = tonumber(os.getenv("WRK_OFFSET") or "0")
  local sent = 0

  -- Each thread takes its own ten-million-millisecond stretch of the day, so no two requests name the same instant.
  function request()
    local ms = (offset + thread_index * 10000000 + sent) % 86400000
    sent = sent + 1
    local at = string.format("%sT%02d:%02d:%02d.%03dZ", day, math.floor(ms / 3600000), math.floor(ms / 60000) % 60,
      math.floor(ms / 1000) % 60, ms % 1000)
    return wrk.format(nil, nil, nil, before .. at .. after)
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,"failures":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
