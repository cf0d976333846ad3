// tests/programs/workload.js: V8 allocates a protection key at start-up; a WebAssembly memory
// and compiled code make it use it. The node case of the real-program matrix.
const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,5,3,1,0,1,
  7,13,2,3,97,100,100,0,0,3,109,101,109,2,0,10,9,1,7,0,32,0,32,1,106,11]);
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
let s = 0;
for (let i = 0; i < 100000; i++) s = instance.exports.add(s, i) | 0;
const mem = new Uint32Array(instance.exports.mem.buffer);
mem[7] = s;
console.log("wasm sum", s, "mem", mem[7], "pages", instance.exports.mem.buffer.byteLength / 65536);
const m2 = new WebAssembly.Memory({ initial: 4, maximum: 16 });
m2.grow(2);
console.log("grown memory", m2.buffer.byteLength);
