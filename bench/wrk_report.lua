-- wrk script of bench/http_pages.py: counts responses whose status is not the expected one, can
-- rotate through a list of signed-in people (one request each, round robin over the threads), and
-- prints one JSON line at the end for the harness to read.
--
--   wrk -t <threads> ... -s bench/wrk_report.lua URL -- <expected status> <threads> [<people file> <first>]
--
-- The people file has one line per person: "<path> <cookie header> <csrf token>"; each request then
-- POSTs the body in $WRK_BODY to that path as that person (the knowledge-check submissions: a fresh
-- open attempt per person, so each one is recorded), starting at line <first> + 1 (the harness runs
-- several rounds and moves past the people the earlier rounds used).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  expected = tonumber(args[1])
  unexpected = 0
  statuses = ""
  thread_total = tonumber(args[2])
  body = os.getenv("WRK_BODY")
  people = nil
  first = tonumber(args[4] or "0")
  if args[3] then
    people = {}
    for line in io.lines(args[3]) do
      local path, cookie, token = line:match("^(%S+) (%S+) (%S+)$")
      table.insert(people, { path = path, cookie = cookie, token = token })
    end
  end
end

function request()
  if people == nil then
    return wrk.format()
  end
  -- Each thread takes every Nth person, so no two requests submit the same attempt until the list
  -- wraps around (the harness makes the list long enough and reports it if it did).
  local index = (first + counter * thread_total + thread_index) % #people + 1
  counter = counter + 1
  local person = people[index]
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Cookie"] = person.cookie
  headers["X-CSRFToken"] = person.token
  return wrk.format("POST", person.path, headers, body)
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if #statuses < 60 then
      statuses = statuses .. status .. " "
    end
  end
end

function done(summary, latency, requests)
  local wrong = 0
  local seen = ""
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("unexpected")
    seen = seen .. thread:get("statuses")
  end
  -- The latency distribution as 100 quantiles (and 99.9), so the harness can merge rounds.
  local quantiles = {}
  for p = 1, 99 do
    table.insert(quantiles, string.format("%d", latency:percentile(p)))
  end
  table.insert(quantiles, string.format("%d", latency:percentile(99.9)))
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "http_errors": %d, "unexpected": %d, ' ..
    '"unexpected_statuses": "%s", "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status, wrong, seen, table.concat(quantiles, ", ")
  ))
end
