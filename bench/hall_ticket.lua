-- wrk's script for the kiosk's ticket press (bench/hall.sh ticket): a C load generator, so that nearly all of the
-- two cores go to the server and the database, not to the generator (bench/load.py, in Python, took a share).
--
--   wrk -t2 -c20 -d20s -s bench/hall_ticket.lua http://127.0.0.1:8767 -- CENTRE TOKEN GROUPS [PAUSE_MS] [OUT]
--
-- GROUPS is comma separated; OUT a file for the result, LABEL a note kept with it.
-- Each press picks one at random and sends a fresh Idempotency-Key. With PAUSE_MS each
-- connection (a kiosk) waits a random time of that mean between its answer and its next press (think time, as
-- bench/load.py --pause): 20 kiosks at 45 ms offer about 300 presses a second while a press takes 20 ms. The
-- latency is measured from the request written to the answer read, without the pause. `done` appends one JSON line
-- to OUT.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("number", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   centre, token = args[1], args[2]
   groups = {}
   for code in string.gmatch(args[3], "[^,]+") do
      table.insert(groups, code)
   end
   pause = tonumber(args[4] or "0")
   out, label = args[5] or "", args[6] or ""
   math.randomseed(os.time() * 100 + number)
   -- unique across threads and runs: the run's second, this thread, a count
   prefix = string.format("wrk%010d%02d", os.time(), number)
   path = "/api/v1/hall/public/centres/" .. centre .. "/tickets"
   unexpected = 0
end

function request()
   counter = counter + 1
   local body = '{"group":"' .. groups[math.random(#groups)] .. '"}'
   return wrk.format("POST", path, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["Idempotency-Key"] = prefix .. string.format("%012d", counter),
   }, body)
end

function delay()
   if pause <= 0 then
      return 0
   end
   return math.floor(-pause * math.log(1 - math.random()))
end

function response(status, headers, body)
   if status ~= 201 then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("unexpected")
   end
   local seconds = summary.duration / 1e6
   local line = string.format(
      '{"scenario": "hall-ticket", "tool": "wrk", "label": "%s", "pause_ms": %s, "seconds": %.1f, '
         .. '"requests": %d, "per_second": %.1f, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f, '
         .. '"not_201": %d, "socket_errors": %d}',
      threads[1]:get("label"),
      tostring(threads[1]:get("pause")),
      seconds,
      summary.requests,
      summary.requests / seconds,
      latency:percentile(50) / 1000,
      latency:percentile(95) / 1000,
      latency:percentile(99) / 1000,
      latency.max / 1000,
      bad,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   )
   print(line)
   local out = threads[1]:get("out")
   if out and out ~= "" then
      local file = io.open(out, "a")
      file:write(line .. "\n")
      file:close()
   end
end
