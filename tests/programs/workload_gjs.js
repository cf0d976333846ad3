// tests/programs/workload_gjs.js: SpiderMonkey compiles 300 functions (baseline and Ion): many
// flips of its code memory between RW and RX. The gjs case of the W^X checks.
// many functions, hot loops: baseline and ion compiles
let total = 0;
for (let f = 0; f < 300; f++) {
  const fn = new Function('x', `let s = 0; for (let i = 0; i < 20000; i++) s = (s + x * i + ${f}) % 1000003; return s;`);
  total = (total + fn(f)) % 1000003;
}
print(total);
