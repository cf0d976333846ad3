/* tests/integration/it.c: probes that survive faults, and the rest of it.h. */
#include "it.h"

#include <cpuid.h>
#include <dlfcn.h>
#include <link.h>
#include <ucontext.h>

__thread it_fault_t it_last;
int it_failures;

/* The probes: the handler sets %ecx and skips the 2-byte access instruction. */
extern char it_read_insn[], it_write_insn[], it_write_byte_insn[];
__asm__(".text\n"
        ".globl it_probe_read\n"
        "it_probe_read:\n"
        "  xorl %ecx, %ecx\n"
        ".globl it_read_insn\n"
        "it_read_insn:\n"
        "  movb (%rdi), %al\n"      /* 8a 07 */
        "  movl $1, %eax\n"
        "  subl %ecx, %eax\n"
        "  ret\n"
        ".globl it_probe_write\n"
        "it_probe_write:\n"
        "  xorl %ecx, %ecx\n"
        "  movb $0x5a, %al\n"
        ".globl it_write_insn\n"
        "it_write_insn:\n"
        "  movb %al, (%rdi)\n"      /* 88 07 */
        "  movl $1, %eax\n"
        "  subl %ecx, %eax\n"
        "  ret\n"
        ".globl it_probe_write_byte\n"
        "it_probe_write_byte:\n"
        "  xorl %ecx, %ecx\n"
        ".globl it_write_byte_insn\n"
        "it_write_byte_insn:\n"
        "  .byte 0x40, 0x88, 0x37\n" /* movb %sil, (%rdi) */
        "  movl $1, %eax\n"
        "  subl %ecx, %eax\n"
        "  ret\n");

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];
    (void)sig;
    if ((char *)*rip == it_read_insn || (char *)*rip == it_write_insn ||
        (char *)*rip == it_write_byte_insn) {
        it_last.faulted = 1;
        it_last.code = si->si_code;
        it_last.pkey = si->si_code == SEGV_PKUERR ? (int)si->si_pkey : -1;
        it_last.addr = si->si_addr;
        uc->uc_mcontext.gregs[REG_RCX] = 1;
        *rip += (char *)*rip == it_write_byte_insn ? 3 : 2;
        return;
    }
    fprintf(stderr, "unexpected SIGSEGV at %p (code %d) from %p\n", si->si_addr, si->si_code,
            (void *)*rip);
    {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        it_sigaction(SIGSEGV, &dfl, NULL);
    }
}

int (*it_sigaction)(int, const struct sigaction *, struct sigaction *) = sigaction;

void it_install_probe_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    if (it_sigaction(SIGSEGV, &sa, NULL)) {
        perror("sigaction");
        exit(1);
    }
}

bool it_have_pku(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7)
        return false;
    __cpuid_count(7, 0, a, b, c, d);
    return (c & (1u << 3)) && (c & (1u << 4));
}

void it_require_pku(void)
{
    if (!it_have_pku()) {
        printf("SKIP: this CPU or kernel has no PKU\n");
        exit(IT_SKIP);
    }
}

bool it_preloaded(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "libmpk");
}

void *it_page(size_t n)
{
    void *p = mmap(NULL, 4096 * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

void it_keyed_pages(int n, int *keys, char **pages)
{
    for (int i = 0; i < n; i++) {
        int k = pkey_alloc(0, 0);
        char *p;
        if (k < 0) {
            printf("SKIP: pkey_alloc #%d: %s (more keys than the hardware needs libmpk)\n", i + 1,
                   strerror(errno));
            exit(it_preloaded() ? 1 : IT_SKIP);
        }
        p = it_page(1);
        pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, k);
        if (keys)
            keys[i] = k;
        if (pages)
            pages[i] = p;
    }
}

int it_done(const char *name)
{
    if (it_failures) {
        printf("FAIL %s: %d check(s) failed\n", name, it_failures);
        return 1;
    }
    printf("PASS %s\n", name);
    return 0;
}

static __thread uint64_t rng_state = 0x853c49e6748fea9bull;

void it_seed(uint64_t seed) { rng_state = seed * 2 + 1; }

uint64_t it_rand(void)
{
    /* splitmix64: tiny, good enough, and the same everywhere. */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t it_seed_from_env(uint64_t dflt)
{
    const char *s = getenv("IT_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : dflt;
    it_seed(seed);
    return seed;
}

static int find_libmpk(struct dl_phdr_info *info, size_t size, void *data)
{
    uintptr_t *range = data;
    (void)size;
    if (!strstr(info->dlpi_name, "libmpk"))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_W)) {
            range[0] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            range[1] = range[0] + info->dlpi_phdr[i].p_memsz;
        }
    return 1;
}

bool it_libmpk_data(uintptr_t *lo, uintptr_t *hi)
{
    uintptr_t range[2] = {0, 0};
    dl_iterate_phdr(find_libmpk, range);
    *lo = range[0];
    *hi = range[1];
    return range[0] != 0;
}

/* Each mapping of /proc/self/smaps that has a ProtectionKey line, with that key, to
 * each(lo, hi, key, ctx) until it returns false. */
static void smaps_keys(bool (*each)(unsigned long lo, unsigned long hi, int key, void *ctx), void *ctx)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    unsigned long lo = 0, hi = 0, a, b;
    int key;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            lo = a;
            hi = b;
        } else if (sscanf(line, "ProtectionKey: %d", &key) == 1 && !each(lo, hi, key, ctx)) {
            break;
        }
    }
    if (f)
        fclose(f);
}

typedef struct {
    unsigned long start;
    int key;
} mapping_key_t;

static bool highest_key(unsigned long lo, unsigned long hi, int key, void *ctx)
{
    mapping_key_t *best = ctx;
    (void)hi;
    if (key > best->key) {
        best->key = key;
        best->start = lo;
    }
    return true;
}

char *it_libmpk_arena(void)
{
    mapping_key_t best = {0, 0};
    smaps_keys(highest_key, &best);
    return (char *)best.start;
}

static bool key_at(unsigned long lo, unsigned long hi, int key, void *ctx)
{
    mapping_key_t *want = ctx;
    if (lo <= want->start && want->start < hi) {
        want->key = key;
        return false;
    }
    return true;
}

int it_pkey_of(const void *p)
{
    mapping_key_t want = {(unsigned long)p, -1};
    smaps_keys(key_at, &want);
    return want.key;
}
