/* bench/count/plugin.c: a QEMU TCG plugin that counts what the guest executes between marker
 * instructions (bench/count/count.h): user and kernel instructions, WRPKRU, RDPKRU, SYSCALL (by
 * number where the code shows it), XSAVE/XRSTOR family, and signal returns. Loaded by
 * `tests/vm/pku-vm --count FILE`; writes one line per window to FILE.
 *
 * Why a plugin: this machine has no PKU and guest timings under TCG mean nothing, but what runs
 * is exact. Counting is per translation block (one callback at its start adds the block's
 * precomputed counts while a window is open); a marker is recognised when its block is translated
 * and gets a callback of its own that opens or closes the window and corrects for the part of its
 * block before or after it. So user-mode counts repeat exactly; kernel counts vary a little with
 * timer interrupts. A block that faults part-way is still counted whole (the rest of it runs again
 * after the fault is handled): a fault costs a few extra instructions, the same ones every run.
 *
 * Debian's QEMU 7.2 is built with plugin support but ships no qemu-plugin.h, so the few functions
 * of plugin API version 1 used here are declared below, as QEMU 7.2 defines them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/count/count.h"

/* ---- the QEMU plugin API (version 1, QEMU 7.2), declared by us ------------------------------ */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
    const char *target_name;
    struct {
        int min, cur;
    } version;
    bool system_emulation;
    union {
        struct {
            int smp_vcpus, max_vcpus;
        } system;
    };
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu, void *udata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *udata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *udata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

/* ---- what is counted ------------------------------------------------------------------------- */
enum {
    C_USER,      /* user-mode instructions */
    C_KERNEL,    /* kernel-mode instructions (upper canonical half) */
    C_WRPKRU,    /* in user mode */
    C_RDPKRU,
    C_SYSCALL,
    C_SIGRETURN, /* rt_sigreturn system calls: one per signal handled */
    C_XSAVE,     /* XSAVE, XSAVEC, XSAVEOPT, XSAVES, user and kernel */
    C_XRSTOR,    /* XRSTOR, XRSTORS, user and kernel */
    C_KWRPKRU,   /* WRPKRU in the kernel (signal delivery, context switches) */
    NCOUNTS
};
static const char *const count_names[NCOUNTS] = {"user", "kernel", "wrpkru", "rdpkru", "syscall",
                                                 "sigreturn", "xsave", "xrstor", "kwrpkru"};
#define NSYS 512 /* system call numbers counted one by one; others go to sys.other */

typedef struct counts {
    uint64_t c[NCOUNTS];
    uint64_t sys[NSYS + 1];
} counts_t;

/* What one stretch of a block holds: the whole block (for its start) or the part after a marker. */
typedef struct span {
    uint32_t c[NCOUNTS];
    uint16_t nsys;     /* system calls in the span, numbers below */
    int16_t sysnr[4];  /* -1: the number is not visible in the code (goes to sys.other); a
                        * SYSCALL ends its block, so a span has at most one */
} span_t;

typedef struct marker {
    unsigned op, window;
    span_t after; /* the rest of its block, after the marker */
} marker_t;

#define NWINDOWS (COUNT_WINDOW_MASK + 1)
static counts_t windows[NWINDOWS];
static unsigned opens[NWINDOWS];
static int active = -1; /* the open window, or -1 */
static unsigned selected; /* built bit by bit by COUNT_OP_BIT markers */
static unsigned errors; /* markers out of order: an open while open, a close of another window */
static char out_path[4096];

/* ---- decoding, at translation time ---------------------------------------------------------- */
typedef enum { I_OTHER, I_WRPKRU, I_RDPKRU, I_SYSCALL, I_XSAVE, I_XRSTOR, I_MARKER } kind_t;

/* The kind of the instruction in bytes b[0..n), and for a marker its 32-bit payload. */
static kind_t decode(const uint8_t *b, size_t n, uint32_t *payload)
{
    size_t i = 0;
    int legacy = 0;
    while (i < n && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3)) /* these turn 0f ae into others */
        legacy = 1, i++;
    while (i < n && (b[i] & 0xf0) == 0x40) /* REX */
        i++;
    if (n - i < 2 || b[i] != 0x0f)
        return I_OTHER;
    if (b[i + 1] == 0x05)
        return I_SYSCALL;
    if (n - i < 3)
        return I_OTHER;
    {
        uint8_t op = b[i + 1], m = b[i + 2];
        unsigned mod = m >> 6, reg = (m >> 3) & 7;
        if (op == 0x01 && m == 0xef)
            return I_WRPKRU;
        if (op == 0x01 && m == 0xee)
            return I_RDPKRU;
        if (op == 0x1f && m == 0x80 && n - i == 7 && !legacy) {
            uint32_t p;
            memcpy(&p, b + i + 3, 4);
            if ((p & COUNT_MAGIC_MASK) == COUNT_MAGIC) {
                *payload = p;
                return I_MARKER;
            }
        }
        if (mod == 3 || legacy) /* register forms are fences, RDRAND and the like */
            return I_OTHER;
        if (op == 0xae && (reg == 4 || reg == 6))
            return I_XSAVE;
        if (op == 0xae && reg == 5)
            return I_XRSTOR;
        if (op == 0xc7 && (reg == 4 || reg == 5))
            return I_XSAVE;
        if (op == 0xc7 && reg == 3)
            return I_XRSTOR;
    }
    return I_OTHER;
}

/* What %eax holds after the instruction b[0..n), given what it held before (`eax`, -1 when not
 * known): the system call number a SYSCALL uses, as far as the code of its block shows it. glibc's
 * wrappers, its signal restorer and libmpk's raw calls all load it with `mov $N, %eax` a few
 * instructions before. The common instructions that write %eax otherwise make it unknown; an
 * uncommon one would go unseen and mislabel a call, never change the count of calls. */
static int track_eax(const uint8_t *b, size_t n, int eax)
{
    size_t i = 0;
    unsigned rex = 0;
    int32_t v;
    while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 || b[i] == 0xf3))
        i++;
    if (i < n && (b[i] & 0xf0) == 0x40)
        rex = b[i++];
    if (i >= n)
        return eax;
    switch (b[i]) {
    case 0xb8: /* mov $imm32, %eax */
        if (rex & 1 || n - i < 5)
            return -1;
        memcpy(&v, b + i + 1, 4);
        return v >= 0 && v < NSYS ? v : -1;
    case 0xc7: /* mov $imm32, r/m: %rax when ModRM is c0 */
        if (n - i == 6 && b[i + 1] == 0xc0 && !(rex & 1)) {
            memcpy(&v, b + i + 2, 4);
            return v >= 0 && v < NSYS ? v : -1;
        }
        return eax;
    case 0x31: case 0x33: /* xor: %eax, %eax gives 0; another register into %eax, unknown */
        if (n - i < 2 || (b[i + 1] >> 6) != 3)
            return eax;
        if (b[i + 1] == 0xc0 && !(rex & 5))
            return 0;
        return ((b[i] == 0x31 ? b[i + 1] : b[i + 1] >> 3) & 7) == 0 ? -1 : eax;
    case 0x89: /* mov r, r/m: writes %eax when the r/m is it */
        return n - i >= 2 && (b[i + 1] >> 6) == 3 && (b[i + 1] & 7) == 0 && !(rex & 1) ? -1 : eax;
    case 0x8b: case 0x8d: /* mov r/m, r and lea: write %eax when the reg is it */
        return n - i >= 2 && ((b[i + 1] >> 3) & 7) == 0 && !(rex & 4) ? -1 : eax;
    case 0xe8: case 0xff: /* calls: the callee leaves anything in %eax */
        return -1;
    default:
        return eax;
    }
}

static void span_add(span_t *s, kind_t k, bool kernel, int sysnr)
{
    s->c[kernel ? C_KERNEL : C_USER]++;
    switch (k) {
    case I_WRPKRU: s->c[kernel ? C_KWRPKRU : C_WRPKRU]++; break;
    case I_RDPKRU: if (!kernel) s->c[C_RDPKRU]++; break;
    case I_XSAVE: s->c[C_XSAVE]++; break;
    case I_XRSTOR: s->c[C_XRSTOR]++; break;
    case I_SYSCALL:
        if (kernel)
            break;
        s->c[C_SYSCALL]++;
        if (sysnr == 15)
            s->c[C_SIGRETURN]++;
        if (s->nsys < 4)
            s->sysnr[s->nsys++] = (int16_t)sysnr;
        break;
    default: break;
    }
}

/* ---- execution ------------------------------------------------------------------------------- */
static void add(counts_t *w, const span_t *s, int sign)
{
    for (int i = 0; i < NCOUNTS; i++)
        __atomic_fetch_add(&w->c[i], (uint64_t)(sign * (int64_t)s->c[i]), __ATOMIC_RELAXED);
    for (unsigned i = 0; i < s->nsys; i++)
        __atomic_fetch_add(&w->sys[s->sysnr[i] < 0 ? NSYS : s->sysnr[i]], (uint64_t)(int64_t)sign,
                           __ATOMIC_RELAXED);
}

static void on_block(unsigned vcpu, void *udata)
{
    int w = __atomic_load_n(&active, __ATOMIC_RELAXED);
    if (w >= 0)
        add(&windows[w], udata, 1);
}

static void write_results(void);

static void window_open(unsigned w, const marker_t *m)
{
    if (__atomic_load_n(&active, __ATOMIC_RELAXED) >= 0)
        errors++;
    opens[w]++;
    add(&windows[w], &m->after, 1); /* the block started before the window did */
    __atomic_store_n(&active, (int)w, __ATOMIC_RELAXED);
}

static void window_close(int w, const marker_t *m)
{
    if (w < 0 || __atomic_load_n(&active, __ATOMIC_RELAXED) != w) {
        errors++;
        return;
    }
    add(&windows[w], &m->after, -1); /* counted at the block's start, runs after the close */
    __atomic_store_n(&active, -1, __ATOMIC_RELAXED);
    write_results(); /* also at exit; written now in case the guest is stopped hard */
}

static void on_marker(unsigned vcpu, void *udata)
{
    const marker_t *m = udata;
    switch (m->op) {
    case COUNT_OP_OPEN: window_open(m->window, m); break;
    case COUNT_OP_CLOSE: window_close((int)m->window, m); break;
    case COUNT_OP_BIT: selected = ((selected << 1) | (m->window & 1)) & COUNT_WINDOW_MASK; break;
    case COUNT_OP_OPEN_SEL: window_open(selected, m); break;
    case COUNT_OP_CLOSE_ANY: window_close(__atomic_load_n(&active, __ATOMIC_RELAXED), m); break;
    default: errors++; break;
    }
}

/* At translation: the block's counts for its start, and a callback for each marker in it with the
 * counts of the rest of the block after it. Markers are in user code only. */
static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    span_t *whole = calloc(1, sizeof *whole);
    kind_t *kinds = calloc(n + 1, sizeof *kinds);
    int *nr = calloc(n + 1, sizeof *nr);              /* %eax before each instruction */
    marker_t **marks = calloc(n + 1, sizeof *marks); /* the marker at each index, if any */
    bool kernel = n && qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)) >= 0xffff800000000000ull;
    if (!whole || !kinds || !nr || !marks)
        abort();
    nr[0] = -1;
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *b = qemu_plugin_insn_data(insn);
        size_t len = qemu_plugin_insn_size(insn);
        uint32_t payload = 0;
        kinds[i] = decode(b, len, &payload);
        nr[i + 1] = track_eax(b, len, nr[i]);
        if (kinds[i] == I_MARKER && kernel)
            kinds[i] = I_OTHER;
        if (kinds[i] == I_MARKER) {
            if (!(marks[i] = calloc(1, sizeof **marks)))
                abort();
            marks[i]->op = (payload >> COUNT_OP_SHIFT) & 0xf;
            marks[i]->window = payload & COUNT_WINDOW_MASK;
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS, marks[i]);
        }
    }
    /* Walking back, `after` holds what follows instruction i in the block. */
    span_t after = {0};
    for (size_t i = n; i-- > 0;) {
        if (marks[i]) {
            marks[i]->after = after;
            continue;
        }
        span_add(&after, kinds[i], kernel, nr[i]);
    }
    *whole = after;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, whole);
    free(kinds);
    free(nr);
    free(marks);
}

/* ---- results --------------------------------------------------------------------------------- */
/* One line per window that was opened: "window ID opens=N user=N ... sys.NR=N sys.other=N". */
static void write_results(void)
{
    char tmp[4200];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "# mpk count plugin: per window, totals over every time it was open\n");
    if (errors)
        fprintf(f, "errors %u\n", errors);
    for (unsigned w = 0; w < NWINDOWS; w++) {
        if (!opens[w])
            continue;
        fprintf(f, "window %u opens=%u", w, opens[w]);
        for (int i = 0; i < NCOUNTS; i++)
            fprintf(f, " %s=%llu", count_names[i], (unsigned long long)windows[w].c[i]);
        for (int s = 0; s <= NSYS; s++) {
            if (!windows[w].sys[s])
                continue;
            if (s == NSYS)
                fprintf(f, " sys.other=%llu", (unsigned long long)windows[w].sys[s]);
            else
                fprintf(f, " sys.%d=%llu", s, (unsigned long long)windows[w].sys[s]);
        }
        fputc('\n', f);
    }
    if (fclose(f) == 0)
        rename(tmp, out_path);
}

static void on_qemu_exit(qemu_plugin_id_t id, void *udata)
{
    write_results();
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "out=", 4) == 0)
            snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
    if (!out_path[0]) {
        qemu_plugin_outs("mpk count plugin: needs out=FILE\n");
        return -1;
    }
    if (!info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
        qemu_plugin_outs("mpk count plugin: only for qemu-system-x86_64\n");
        return -1;
    }
    write_results(); /* an empty file at once: the caller can tell the plugin ran */
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
    return 0;
}
