-- wrk script for the half-capacity runs of scripts/bench.py: each connection waits an
-- exponentially distributed think time (mean PACE_MS milliseconds) before each request, so the
-- arrivals of many connections together approximate a Poisson stream at the chosen rate, where
-- hey's workers tick in phase and send the whole load in bursts. wrk times a request from its
-- write to its response, so the think time is not counted in its latency.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

local mean, carry = 0, 0
function init(args)
  mean = tonumber(os.getenv("PACE_MS")) or 0
  math.randomseed(os.time() * 1000 + (seed or 0) * 7919)
end

-- wrk takes whole milliseconds: the fractions are carried to the next wait, so the mean stays exact.
function delay()
  local wait = -mean * math.log(1 - math.random()) + carry
  local whole = math.floor(wait)
  carry = wait - whole
  return whole
end
