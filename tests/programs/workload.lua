-- tests/programs/workload.lua: trace-heavy LuaJIT (many compiled traces, each flip of the
-- machine-code area is an mprotect). The luajit case of the real-program matrix.
local t = {}
for i = 1, 200 do
  local f = loadstring("return function(x) local s = 0 for i = 1, 2000 do s = s + (x * i) % " .. (i + 7) .. " end return s end")()
  t[#t + 1] = f(i)
end
local sum = 0
for _, v in ipairs(t) do sum = sum + v end
print("traces", #t, "sum", sum)
