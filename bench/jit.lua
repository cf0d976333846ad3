-- bench/jit.lua [N]: trace-heavy LuaJIT for bench/run (JIT under [wx]): N small functions, each
-- compiled to its own traces, so the machine-code area flips RW/RX many times. Default N = 400.
local n = tonumber(arg and arg[1]) or 400
local sum = 0
for i = 1, n do
  local f = loadstring("return function(x) local s = 0 for i = 1, 3000 do s = s + (x * i) % "
                       .. (i + 7) .. " end return s end")()
  sum = sum + f(i)
end
print("traces", n, "sum", sum)
