// tests/programs/workload_audit.gjs.js: GLib through GObject introspection (libraries loaded
// with dlopen at run time) and some JIT work: the gjs case of the audit matrix.
const GLib = imports.gi.GLib;
let sum = 0;
for (let i = 0; i < 200000; i++)
    sum = (sum + i * 7) % 1000003;
print('sum', sum);
print('checksum', GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, 'libmpk', -1));
