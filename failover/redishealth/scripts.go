package redishealth

import "github.com/redis/go-redis/v9"

// checkScript reads the health of each provider for a call starting at
// ARGV[1] (Unix milliseconds), and claims the probe of each one whose
// cooldown has ended, unless another call claimed it less than ARGV[2]
// milliseconds ago. KEYS holds the providers' health keys, then their
// hint keys, in the same order. It answers, per provider, {state, until,
// fails, hint}: state 0 healthy, 1 cooling (or probed by another call), 2
// probe claimed; hint is when its Retry-After hint ends (0: none).
var checkScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local age = tonumber(ARGV[2])
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local k = KEYS[i]
  local hint = tonumber(redis.call('GET', KEYS[n + i])) or 0
  if hint <= now then
    hint = 0
  end
  local v = redis.call('HMGET', k, 'until', 'probe', 'fails')
  local untilv = tonumber(v[1]) or 0
  local probe = tonumber(v[2]) or 0
  local fails = tonumber(v[3]) or 0
  local st = 0
  if untilv > 0 then
    st = 1
    if now >= untilv and (probe == 0 or now - probe >= age) then
      redis.call('HSET', k, 'probe', now)
      st = 2
    end
  end
  out[i] = {st, untilv, fails, hint}
end
return out
`)

// deferScript keeps a provider's Retry-After hint in KEYS[1] until
// ARGV[1] (Unix milliseconds), the key expiring ARGV[2] milliseconds from
// now; a hint already there that ends later stays.
var deferScript = redis.NewScript(`
local untilv = tonumber(ARGV[1])
local old = tonumber(redis.call('GET', KEYS[1])) or 0
if untilv > old then
  redis.call('SET', KEYS[1], untilv, 'PX', ARGV[2])
end
return 0
`)

// recordScript folds one call's outcomes into the health of the providers
// in KEYS. ARGV holds now (Unix milliseconds), the policy's failures and
// cooldown (milliseconds) and the keys' time to live, then for each key
// its result (0 neutral, 1 succeeded, 2 failed), whether it was the call's
// probe (0 no, 1 yes, 2 a probe that committed before it failed) and how
// long it asked to cool down (milliseconds). It
// answers the changes: {index, 1, until} for a cooldown that started,
// {index, 2, 0} for a recovery. The rules are the in-process Health's.
var recordScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local failures = tonumber(ARGV[2])
local cd = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local out = {}
for i, k in ipairs(KEYS) do
  local b = 4 + (i - 1) * 3
  local res = tonumber(ARGV[b + 1])
  local probe = tonumber(ARGV[b + 2])
  local coolFor = tonumber(ARGV[b + 3])
  local v = redis.call('HMGET', k, 'fails', 'level', 'until')
  local fails = tonumber(v[1]) or 0
  local level = tonumber(v[2]) or 0
  local untilv = tonumber(v[3]) or 0
  if probe == 2 then
    -- The probe committed: the provider is restored, and its failure
    -- after the commit is the first of a new run.
    if untilv > 0 then
      table.insert(out, {i, 2, 0})
    end
    redis.call('HSET', k, 'until', 0, 'level', 0, 'fails', 0, 'probe', 0)
    fails, level, untilv, probe = 0, 0, 0, 0
  end
  if res == 1 then
    if untilv > 0 or fails > 0 or probe == 1 then
      redis.call('DEL', k)
      if untilv > 0 then
        table.insert(out, {i, 2, 0})
      end
    end
  elseif res == 2 then
    local newUntil = 0
    local function cool()
      if cd <= 0 then
        return 0
      end
      local d = cd * math.pow(2, math.min(level, 6))
      level = level + 1
      return now + d
    end
    if probe == 1 or (untilv > 0 and now >= untilv) then
      newUntil = cool()
    elseif untilv == 0 then
      fails = fails + 1
      if failures > 0 and fails >= failures then
        newUntil = cool()
      end
    end
    if coolFor > 0 then
      newUntil = math.max(newUntil, now + coolFor, untilv)
    end
    if newUntil > untilv then
      redis.call('HSET', k, 'until', newUntil, 'level', level, 'fails', 0, 'probe', 0)
      table.insert(out, {i, 1, newUntil})
    else
      redis.call('HSET', k, 'fails', fails, 'level', level)
      if probe == 1 then
        redis.call('HSET', k, 'probe', 0)
      end
    end
    -- The key outlives the cooldown in force, new or old, by ttl.
    redis.call('PEXPIRE', k, math.max(ttl, math.max(newUntil, untilv) - now + ttl))
  elseif probe == 1 and redis.call('EXISTS', k) == 1 then
    -- Release the probe; a key that is gone (a recovery, or expiry) is
    -- not made again, without its time to live.
    redis.call('HSET', k, 'probe', 0)
  end
end
return out
`)
