-- wrk: POST /v1/checkins with a random visitor at a random venue. Venue tokens come from tokens.txt beside this file.
local tokens = {}
local dir = os.getenv("TRUYVET_BENCH_DIR") or "."
for line in io.lines(dir .. "/tokens.txt") do tokens[#tokens + 1] = line end
local counter = 0
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)

request = function()
  counter = counter + 1
  local phone = string.format("09%08d", math.random(0, 99999999))
  local token = tokens[math.random(1, #tokens)]
  local body = '{"token":"' .. token .. '","name":"Nguyễn Văn Khách","phone":"' .. phone .. '"}'
  return wrk.format("POST", "/v1/checkins", {["Content-Type"] = "application/json"}, body)
end

-- No response() callback: wrk would then parse every answer and take CPU from the server it measures
-- (non-2xx answers are counted by wrk itself).
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f ms  p99 %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
