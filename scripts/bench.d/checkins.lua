-- wrk: POST /v1/checkins with a visitor at a random venue. Venue tokens come from tokens.txt in TRUYVET_BENCH_DIR.
-- TRUYVET_BENCH_RETURNING (0–1, default 0) of the visitors are drawn from the TRUYVET_BENCH_POOL people that
-- `truyvet-bench returning` made before the run (phones 097 and seven digits), each from the device it used then
-- (its deviceToken, as an app sends it); the others are new (a random phone of 100 million, almost never seen before,
-- from a new device: the answer gives it a token).
local tokens = {}
local dir = os.getenv("TRUYVET_BENCH_DIR") or "."
for line in io.lines(dir .. "/tokens.txt") do tokens[#tokens + 1] = line end
local counter = 0
local returning = tonumber(os.getenv("TRUYVET_BENCH_RETURNING") or "0")
local pool = tonumber(os.getenv("TRUYVET_BENCH_POOL") or "1")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)

request = function()
  counter = counter + 1
  local phone
  local device = ""
  if math.random() < returning then
    local i = math.random(0, pool - 1)
    phone = string.format("097%07d", i)
    device = string.format(',"deviceToken":"bench%08dvisitorxA"', i)
  else
    phone = string.format("09%08d", math.random(0, 99999999))
  end
  local token = tokens[math.random(1, #tokens)]
  local body = '{"token":"' .. token .. '","name":"Nguyễn Văn Khách","phone":"' .. phone .. '"' .. device .. '}'
  return wrk.format("POST", "/v1/checkins", {["Content-Type"] = "application/json"}, body)
end

-- No response() callback: wrk would then parse every answer and take CPU from the server it measures
-- (non-2xx answers are counted by wrk itself).
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
