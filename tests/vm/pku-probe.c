/* tests/vm/pku-probe.c: checks, one PASS/FAIL line each, every behaviour of the CPU and kernel's
 * protection keys that libmpk relies on (design.md §1, §3, §5, §10), so we know exactly what a
 * machine -- or QEMU's TCG software CPU in tests/vm/pku-vm -- does and does not do faithfully.
 *
 * Each check runs in its own forked child with a fresh key allocation map and a watchdog alarm;
 * a child that crashes or hangs is one FAIL, not the end of the run. INFO lines report values
 * that are facts of the machine rather than pass/fail. Exit: 0 all passed, 1 something failed,
 * 77 no PKU here (skip), 2 usage. `pku-probe [CHECK...]` runs only the named checks. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PKRU_INIT     0x55555554u   /* Linux's default and signal-handler PKRU */
#define XFEATURE_PKRU 9
#define FP_MAGIC1     0x46505853u   /* "FPXS": the frame's fpregs hold an XSAVE area */
#define WATCHDOG_S    30

/* ---------------------------------------------------------------- reporting */

static struct tally { int pass, fail; } *tally;   /* MAP_SHARED: children count into it */

static void out(const char *fmt, va_list ap, const char *prefix)
{
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "%s", prefix);
  n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  if (n > (int)sizeof buf - 2)
    n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  (void)!write(1, buf, (size_t)n);
}

/* check(ok, "name: detail"): one PASS/FAIL line, counted. Returns ok. */
__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  out(fmt, ap, ok ? "PASS " : "FAIL ");
  va_end(ap);
  __atomic_add_fetch(ok ? &tally->pass : &tally->fail, 1, __ATOMIC_SEQ_CST);
  return ok;
}

__attribute__((format(printf, 1, 2))) static void info(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  out(fmt, ap, "INFO ");
  va_end(ap);
}

/* ---------------------------------------------------------------- primitives */

static inline uint32_t rdpkru(void)
{
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

static inline void wrpkru(uint32_t v)
{
  __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static uint32_t ad(int k) { return 1u << (2 * k); }   /* access-disable bit of key k */
static uint32_t wd(int k) { return 2u << (2 * k); }   /* write-disable bit of key k */
static unsigned rights_in(uint32_t pkru, int k) { return (pkru >> (2 * k)) & 3; }

static int sys_pkey_alloc(unsigned flags, unsigned rights)
{
  return (int)syscall(SYS_pkey_alloc, flags, rights);
}
static int sys_pkey_free(int k) { return (int)syscall(SYS_pkey_free, k); }
static int sys_pkey_mprotect(void *a, size_t n, int prot, int k)
{
  return (int)syscall(SYS_pkey_mprotect, a, n, prot, k);
}

static long page_size;
static unsigned pkru_offset;        /* CPUID.(EAX=0xD,ECX=9).EBX: PKRU's offset in the XSAVE area */

static char *page_new(void)
{
  char *p = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(99);
  }
  p[0] = 0x5a;
  return p;
}

/* A page tagged with a fresh key; the calling thread's rights for it are `rights`. */
static char *keyed_page(int *key, unsigned rights)
{
  char *p = page_new();
  *key = sys_pkey_alloc(0, rights);
  if (*key < 0 || sys_pkey_mprotect(p, (size_t)page_size, PROT_READ | PROT_WRITE, *key) != 0) {
    check(false, "setup: pkey_alloc/pkey_mprotect: %s", strerror(errno));
    exit(99);
  }
  return p;
}

/* The ProtectionKey of the mapping holding addr, from /proc/self/smaps; -1 if absent. */
static int smaps_pkey(const void *addr)
{
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  bool inside = false;
  int key = -1;
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
      continue;
    }
    if (inside && sscanf(line, "ProtectionKey: %d", &key) == 1)
      break;
  }
  fclose(f);
  return key;
}

static double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) {
    perror("sigaction");
    exit(99);
  }
}

/* ---------------------------------------------------------------- the XSAVE area of a signal frame */

typedef struct {
  bool ok;               /* fpregs present, XSAVE magic, PKRU inside the saved features */
  uint32_t pkru;         /* PKRU as saved in the frame */
  bool bv9;              /* XSTATE_BV bit 9 set in the frame */
  uint32_t magic, size;
  uint64_t features;
} frame_t;

static frame_t frame_read(void *ucv)
{
  ucontext_t *uc = ucv;
  frame_t f = {0};
  char *area = (char *)uc->uc_mcontext.fpregs;
  if (!area)
    return f;
  struct _fpx_sw_bytes *sw = (struct _fpx_sw_bytes *)(area + 464);
  f.magic = sw->magic1;
  f.size = sw->xstate_size;
  f.features = sw->xstate_bv;
  f.ok = f.magic == FP_MAGIC1 && (f.features >> XFEATURE_PKRU & 1) && f.size >= pkru_offset + 4;
  if (f.ok) {
    f.pkru = *(uint32_t *)(area + pkru_offset);
    f.bv9 = *(uint64_t *)(area + 512) >> XFEATURE_PKRU & 1;
  }
  return f;
}

/* The library's §5 mechanism: write PKRU into the interrupted context, mark it present. */
static bool frame_write(void *ucv, uint32_t pkru, bool set_bv9)
{
  ucontext_t *uc = ucv;
  char *area = (char *)uc->uc_mcontext.fpregs;
  if (!frame_read(ucv).ok)
    return false;
  *(uint32_t *)(area + pkru_offset) = pkru;
  if (set_bv9)
    *(uint64_t *)(area + 512) |= 1ull << XFEATURE_PKRU;
  return true;
}

/* ---------------------------------------------------------------- catching faults */

static sigjmp_buf jump;
static volatile sig_atomic_t faults;
static siginfo_t fault_si;
static volatile uint32_t fault_handler_pkru;

static void on_segv_jump(int sig, siginfo_t *si, void *uc)
{
  fault_handler_pkru = rdpkru();
  fault_si = *si;
  faults++;
  siglongjmp(jump, 1);
}

/* Touches *p; true if it faulted. PKRU is put back (a longjmp leaves the handler's PKRU). */
static bool touch_faults(volatile char *p, bool write)
{
  uint32_t saved = rdpkru();
  on(SIGSEGV, on_segv_jump, 0);
  faults = 0;
  if (sigsetjmp(jump, 1) == 0) {
    if (write)
      *p = 0x33;
    else
      (void)*p;
  }
  wrpkru(saved);
  signal(SIGSEGV, SIG_DFL);
  return faults != 0;
}

static const char *code_name(int code)
{
  switch (code) {
  case SEGV_MAPERR: return "SEGV_MAPERR";
  case SEGV_ACCERR: return "SEGV_ACCERR";
  case SEGV_PKUERR: return "SEGV_PKUERR";
  default: return "other";
  }
}

/* "name: faulted with SEGV_PKUERR pkey k at p" as one checked line. */
static void check_pku_fault(const char *what, volatile char *p, bool write, int key)
{
  if (!touch_faults(p, write)) {
    check(false, "%s: no fault", what);
    return;
  }
  check(fault_si.si_signo == SIGSEGV && fault_si.si_code == SEGV_PKUERR &&
            (int)fault_si.si_pkey == key && fault_si.si_addr == (void *)p,
        "%s: SIGSEGV si_code=%s(%d) si_pkey=%u (want %d) si_addr %s", what,
        code_name(fault_si.si_code), fault_si.si_code, fault_si.si_pkey, key,
        fault_si.si_addr == (void *)p ? "= page" : "!= page");
}

/* ================================================================= checks */

static void c_syscalls(void)
{
  char *p = page_new();
  int k = sys_pkey_alloc(0, 0);
  check(k >= 1 && k <= 15, "pkey_alloc(0,0): returns a key in 1..15 (got %d)", k);
  int k2 = sys_pkey_alloc(0, 0);
  check(k2 >= 1 && k2 <= 15 && k2 != k, "pkey_alloc second key: distinct (got %d)", k2);

  errno = 0;
  int r = sys_pkey_alloc(1, 0);
  check(r == -1 && errno == EINVAL, "pkey_alloc(flags=1): EINVAL (got %d, %s)", r, strerror(errno));
  errno = 0;
  r = sys_pkey_alloc(0, 4);
  check(r == -1 && errno == EINVAL, "pkey_alloc(rights=4): EINVAL (got %d, %s)", r, strerror(errno));

  r = sys_pkey_mprotect(p, (size_t)page_size, PROT_READ | PROT_WRITE, k);
  check(r == 0, "pkey_mprotect(page, RW, k): 0 (got %d)", r);
  int tag = smaps_pkey(p);
  check(tag == k, "smaps ProtectionKey after pkey_mprotect: %d (want %d)", tag, k);

  int unalloc = 1;
  while (unalloc == k || unalloc == k2)
    unalloc++;
  struct { const char *what; void *a; int prot, key, err; } bad[] = {
    {"key 16", p, PROT_READ, 16, EINVAL},
    {"key -2", p, PROT_READ, -2, EINVAL},
    {"unallocated key", p, PROT_READ, unalloc, EINVAL},
    {"unaligned address", p + 1, PROT_READ, k, EINVAL},
    {"unknown prot bit 0x10", p, 0x10, k, EINVAL},
    {"unmapped range", (char *)page_size, PROT_READ, k, ENOMEM},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    errno = 0;
    r = sys_pkey_mprotect(bad[i].a, (size_t)page_size, bad[i].prot, bad[i].key);
    check(r == -1 && errno == bad[i].err, "pkey_mprotect(%s): %s (got %d, %s)", bad[i].what,
          strerror(bad[i].err), r, strerror(errno));
  }

  r = sys_pkey_mprotect(p, (size_t)page_size, PROT_READ, -1);
  tag = smaps_pkey(p);
  check(r == 0 && tag == k, "pkey_mprotect(key -1) keeps the page's key: r=%d key=%d (want %d)", r, tag, k);
  r = mprotect(p, (size_t)page_size, PROT_READ | PROT_WRITE);
  tag = smaps_pkey(p);
  check(r == 0 && tag == k, "mprotect keeps the page's key: r=%d key=%d (want %d)", r, tag, k);

  check(sys_pkey_free(k) == 0, "pkey_free(k): 0");
  errno = 0;
  r = sys_pkey_free(k);
  check(r == -1 && errno == EINVAL, "pkey_free(k) twice: EINVAL (got %d, %s)", r, strerror(errno));
  errno = 0;
  r = sys_pkey_free(16);
  check(r == -1 && errno == EINVAL, "pkey_free(16): EINVAL (got %d, %s)", r, strerror(errno));
  errno = 0;
  r = sys_pkey_free(unalloc);
  check(r == -1 && errno == EINVAL, "pkey_free(never allocated %d): EINVAL (got %d, %s)", unalloc, r,
        strerror(errno));
  tag = smaps_pkey(p);
  check(tag == k, "pages keep a freed key's tag (design §1.1): key=%d (want %d)", tag, k);
  int k3 = sys_pkey_alloc(0, 0);
  check(k3 == k, "pkey_alloc after pkey_free reuses the freed number (design §1.1): got %d (freed %d)", k3, k);

  char *q = mmap(p, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  tag = smaps_pkey(q);
  check(q == p && tag == 0, "mmap(MAP_FIXED) over a keyed page gives key 0: key=%d", tag);
}

static void c_pkru(void)
{
  uint32_t v = rdpkru();
  check(v == PKRU_INIT, "RDPKRU in a fresh process: 0x%08x (want 0x%08x)", v, PKRU_INIT);

  int k = sys_pkey_alloc(0, PKEY_DISABLE_WRITE);
  v = rdpkru();
  check(k > 0 && rights_in(v, k) == PKEY_DISABLE_WRITE,
        "pkey_alloc(rights=WD) sets the caller's PKRU bits for key %d: %u (PKRU 0x%08x)", k, rights_in(v, k), v);
  int ka = sys_pkey_alloc(0, PKEY_DISABLE_ACCESS);
  v = rdpkru();
  check(ka > 0 && rights_in(v, ka) == PKEY_DISABLE_ACCESS,
        "pkey_alloc(rights=AD) sets the caller's PKRU bits for key %d: %u", ka, rights_in(v, ka));
  int k0 = sys_pkey_alloc(0, 0);
  v = rdpkru();
  check(k0 > 0 && rights_in(v, k0) == 0, "pkey_alloc(rights=0) opens key %d in the caller: %u", k0,
        rights_in(v, k0));

  const uint32_t vals[] = {0, PKRU_INIT, 0xaaaaaaa8u, 0x12345670u, 0xfffffffcu};
  uint32_t saved = rdpkru();
  bool all = true;
  char got[128] = "";
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    wrpkru(vals[i]);
    uint32_t back = rdpkru();
    wrpkru(saved);
    if (back != vals[i]) {
      all = false;
      snprintf(got, sizeof got, " (wrote 0x%08x read 0x%08x)", vals[i], back);
    }
  }
  check(all, "WRPKRU then RDPKRU round-trips 5 values%s", got);

  wrpkru(saved & ~(3u << (2 * k)));
  int g = pkey_get(k);
  check(g == 0, "glibc pkey_get agrees with WRPKRU: %d", g);
  int s = pkey_set(k, PKEY_DISABLE_ACCESS);
  v = rdpkru();
  check(s == 0 && rights_in(v, k) == PKEY_DISABLE_ACCESS, "glibc pkey_set changes PKRU: 0x%08x", v);
  wrpkru(saved);

  double t0 = now_ns();
  for (int i = 0; i < 100000; i++) {
    wrpkru(saved | ad(k));
    wrpkru(saved);
  }
  info("timing: WRPKRU pair %.1f ns", (now_ns() - t0) / 100000);
}

static void c_faults(void)
{
  int k;
  char *p = keyed_page(&k, 0);
  check(!touch_faults(p, false) && !touch_faults(p, true), "key open (rights 0): read and write succeed");

  wrpkru(rdpkru() | ad(k));
  check_pku_fault("read of an access-disabled page", p, false, k);
  check_pku_fault("write to an access-disabled page", p, true, k);
  check(fault_handler_pkru == PKRU_INIT, "SIGSEGV handler (PKU fault) starts with PKRU 0x%08x (want 0x%08x)",
        (unsigned)fault_handler_pkru, PKRU_INIT);

  wrpkru((rdpkru() & ~ad(k)) | wd(k));
  check(!touch_faults(p, false), "read of a write-disabled page succeeds");
  check_pku_fault("write to a write-disabled page", p, true, k);

  char *n = page_new();
  mprotect(n, (size_t)page_size, PROT_NONE);
  bool f = touch_faults(n, false);
  check(f && fault_si.si_code == SEGV_ACCERR, "PROT_NONE (key 0) fault is SEGV_ACCERR, not PKUERR: %s",
        f ? code_name(fault_si.si_code) : "no fault");
}

static volatile uint32_t h_pkru, h_after_write;
static volatile frame_t h_frame;

static void on_usr1_record(int sig, siginfo_t *si, void *uc)
{
  h_pkru = rdpkru();
  h_frame = frame_read(uc);
}

static void c_handler(void)
{
  int k;
  keyed_page(&k, 0);
  on(SIGUSR1, on_usr1_record, 0);
  const uint32_t vals[] = {0, rdpkru(), PKRU_INIT | wd(k)};
  for (size_t i = 0; i < 3; i++) {
    uint32_t saved = rdpkru();
    wrpkru(vals[i]);
    raise(SIGUSR1);
    wrpkru(saved);
    check(h_pkru == PKRU_INIT, "handler entered with interrupted PKRU 0x%08x starts with 0x%08x (want 0x%08x)",
          vals[i], (unsigned)h_pkru, PKRU_INIT);
  }
}

static volatile uint32_t set_in_handler;
static void on_usr1_write(int sig, siginfo_t *si, void *uc)
{
  h_pkru = rdpkru();
  wrpkru(set_in_handler);
  h_after_write = rdpkru();
}

static void c_sigreturn(void)
{
  int k;
  keyed_page(&k, 0);
  on(SIGUSR1, on_usr1_write, 0);
  uint32_t x = PKRU_INIT & ~ad(k);
  const uint32_t ys[] = {0, PKRU_INIT, x | wd(k)};
  for (size_t i = 0; i < 3; i++) {
    set_in_handler = ys[i];
    wrpkru(x);
    raise(SIGUSR1);
    uint32_t after = rdpkru();
    check(after == x && h_after_write == ys[i],
          "sigreturn restores PKRU from the frame: before 0x%08x, handler wrote 0x%08x, after 0x%08x", x,
          ys[i], after);
  }
}

static volatile uint32_t edit_to;
static volatile bool edit_bv9, edit_clear_bv9, edit_ok;

static void on_usr1_edit(int sig, siginfo_t *si, void *uc)
{
  h_frame = frame_read(uc);
  if (edit_clear_bv9) {
    edit_ok = h_frame.ok;
    if (edit_ok)
      *(uint64_t *)((char *)((ucontext_t *)uc)->uc_mcontext.fpregs + 512) &= ~(1ull << XFEATURE_PKRU);
    return;
  }
  edit_ok = frame_write(uc, edit_to, edit_bv9);
}

static void c_xsave(void)
{
  int k;
  char *p = keyed_page(&k, 0);
  on(SIGUSR1, on_usr1_edit, 0);

  uint32_t x = PKRU_INIT & ~ad(k);
  wrpkru(x);
  edit_to = x | wd(k);
  edit_bv9 = true;
  raise(SIGUSR1);
  uint32_t after = rdpkru();
  frame_t f = h_frame;
  info("signal frame: magic 0x%08x xfeatures 0x%llx xstate_size %u, PKRU at offset %u", f.magic,
       (unsigned long long)f.features, f.size, pkru_offset);
  check(f.ok, "signal frame holds an XSAVE area with PKRU (magic, xfeatures bit 9, size)");
  check(f.pkru == x, "frame's saved PKRU is the interrupted PKRU: 0x%08x (want 0x%08x)", f.pkru, x);
  check(f.bv9, "frame's XSTATE_BV has bit 9 (PKRU) when PKRU != 0");
  check(edit_ok && after == edit_to, "editing frame PKRU takes effect on sigreturn: 0x%08x (want 0x%08x)", after,
        (unsigned)edit_to);

  wrpkru(0);
  edit_to = x;
  raise(SIGUSR1);
  after = rdpkru();
  f = h_frame;
  info("interrupted PKRU 0 (XSAVE init state): frame PKRU 0x%08x, XSTATE_BV bit 9 %s", f.pkru,
       f.bv9 ? "set" : "clear");
  check(edit_ok && after == x, "from PKRU 0, edit + set XSTATE_BV bit 9 takes effect: 0x%08x (want 0x%08x)", after, x);

  wrpkru(0);
  edit_bv9 = false;
  raise(SIGUSR1);
  after = rdpkru();
  f = h_frame;
  info("from PKRU 0, editing without setting bit 9 (bit 9 was %s): after sigreturn PKRU 0x%08x",
       f.bv9 ? "set" : "clear", after);

  wrpkru(x);
  p[0] = 1;   /* the emulated TLB now holds the page as writable */
  edit_to = x | ad(k);
  edit_bv9 = true;
  raise(SIGUSR1);
  after = rdpkru();
  if (check(edit_ok && after == (x | ad(k)), "revoking through the frame: PKRU after sigreturn 0x%08x", after))
    check_pku_fault("read right after revoking through the frame", p, false, k);

  wrpkru(x | wd(k));
  edit_clear_bv9 = true;
  raise(SIGUSR1);
  after = rdpkru();
  edit_clear_bv9 = false;
  wrpkru(PKRU_INIT);
  /* Not relied on, but what a handler that forgets bit 9 risks: architecturally XRSTOR loads
   * PKRU's init value 0, which opens every key. */
  info("clearing XSTATE_BV bit 9 in the frame (PKRU was 0x%08x): after sigreturn PKRU 0x%08x%s",
       x | wd(k), after, edit_ok ? "" : " (frame unreadable)");
}

/* The swap-in path of design §4: the fault handler fixes PKRU or the tag, returns, the access retries. */
static volatile int retry_key, retry_mode;
static char *volatile retry_page;

static void on_segv_fix(int sig, siginfo_t *si, void *uc)
{
  faults++;
  fault_si = *si;
  if (faults > 3)
    _exit(98);
  if (retry_mode == 0) {
    frame_t f = frame_read(uc);
    frame_write(uc, f.pkru & ~(3u << (2 * retry_key)), true);
  } else {
    sys_pkey_mprotect(retry_page, (size_t)page_size, PROT_READ | PROT_WRITE, 0);
  }
}

static void c_retry(void)
{
  int k;
  char *p = keyed_page(&k, 0);
  p[0] = 42;
  retry_key = k;
  retry_page = p;
  on(SIGSEGV, on_segv_fix, 0);

  wrpkru(rdpkru() | ad(k));
  retry_mode = 0;
  faults = 0;
  int v = *(volatile char *)p;
  uint32_t after = rdpkru();
  check(faults == 1 && v == 42 && rights_in(after, k) == 0,
        "fault handler opens the key in the frame's PKRU, access retries and succeeds: faults=%d value=%d",
        (int)faults, v);

  wrpkru(rdpkru() | wd(k));
  faults = 0;
  *(volatile char *)p = 7;
  check(faults == 1 && p[0] == 7, "same for a write to a write-disabled page: faults=%d", (int)faults);

  wrpkru(rdpkru() | ad(k));
  retry_mode = 1;
  faults = 0;
  v = *(volatile char *)p;
  check(faults == 1 && v == 7 && smaps_pkey(p) == 0,
        "fault handler re-tags the page to key 0 (pkey_mprotect), access retries and succeeds: faults=%d",
        (int)faults);
  signal(SIGSEGV, SIG_DFL);
}

static void c_execonly(void)
{
  char *p = page_new();
  p[0] = (char)0xc3;   /* ret */
  int r = mprotect(p, (size_t)page_size, PROT_EXEC);
  int e = smaps_pkey(p);
  uint32_t v = rdpkru();
  info("mprotect(PROT_EXEC) gave the page key %d; caller's rights for it %u", e, e > 0 ? rights_in(v, e) : 0);
  check(r == 0 && e > 0, "mprotect(PROT_EXEC) makes the kernel take an execute-only key: %d", e);
  if (e <= 0)
    return;
  check(rights_in(v, e) == PKEY_DISABLE_ACCESS, "execute-only key %d is access-disabled in the caller", e);
  check_pku_fault("read of an execute-only page", p, false, e);
  ((void (*)(void))p)();
  check(true, "execute-only page executes");

  char *q = mmap(NULL, (size_t)page_size, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int eq = smaps_pkey(q);
  check(eq == e, "mmap(PROT_EXEC) shares the same execute-only key: %d", eq);

  int n = 0, k, hit = 0;
  char keys[64] = "";
  while ((k = sys_pkey_alloc(0, 0)) >= 0) {
    n++;
    hit |= k == e;
    snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%d", n > 1 ? "," : "", k);
  }
  int err = errno;
  check(!hit, "pkey_alloc never returns the execute-only key %d (got %s)", e, keys);
  check(err == ENOSPC && n == 14, "pkey_alloc until ENOSPC with the execute-only key taken: %d keys (want 14), then %s",
        n, strerror(err));
  errno = 0;
  r = sys_pkey_mprotect(p, (size_t)page_size, PROT_READ, e);
  info("pkey_mprotect with the execute-only key %d: %d (%s)", e, r, r ? strerror(errno) : "allowed");
}

static void c_enospc(void)
{
  int n = 0, k;
  char *p = page_new();
  while ((k = sys_pkey_alloc(0, 0)) >= 0)
    n++;
  int err = errno;
  check(err == ENOSPC && n == 15, "pkey_alloc until ENOSPC in a fresh process: %d keys (want 15), then %s", n,
        strerror(err));
  p[0] = (char)0xc3;
  int r = mprotect(p, (size_t)page_size, PROT_EXEC);
  int e = smaps_pkey(p);
  bool f = touch_faults(p, false);
  info("mprotect(PROT_EXEC) with all 15 keys taken: r=%d, page key %d, read %s", r, e, f ? "faults" : "allowed");
}

/* ---------------------------------------------------------------- threads and fork */

struct thr { uint32_t set, seen_start, seen_late; pthread_barrier_t *bar; };

static void *thr_report(void *arg)
{
  struct thr *t = arg;
  t->seen_start = rdpkru();
  if (t->bar) {
    pthread_barrier_wait(t->bar);   /* creator allocates a key now */
    pthread_barrier_wait(t->bar);
    t->seen_late = rdpkru();
  }
  if (t->set) {
    wrpkru(t->set);
    t->seen_late = rdpkru();
  }
  return NULL;
}

static void *thr_spawn(void *arg)
{
  struct thr *t = arg;
  wrpkru(t->set);
  struct thr inner = {0};
  pthread_t th;
  pthread_create(&th, NULL, thr_report, &inner);
  pthread_join(th, NULL);
  t->seen_start = inner.seen_start;
  return NULL;
}

static void c_threads(void)
{
  int k, k2;
  keyed_page(&k, 0);
  keyed_page(&k2, PKEY_DISABLE_WRITE);
  uint32_t x = rdpkru();
  pthread_t th;

  struct thr t = {.set = PKRU_INIT};
  pthread_create(&th, NULL, thr_report, &t);
  pthread_join(th, NULL);
  check(t.seen_start == x, "new pthread inherits its creator's PKRU: 0x%08x (creator 0x%08x)", t.seen_start, x);
  check(rdpkru() == x, "PKRU is per thread: a thread's WRPKRU leaves its creator's alone (0x%08x)", rdpkru());

  struct thr s = {.set = x | ad(k2)};
  pthread_create(&th, NULL, thr_spawn, &s);
  pthread_join(th, NULL);
  check(s.seen_start == (x | ad(k2)), "thread created by a non-main thread inherits that thread's PKRU: 0x%08x",
        s.seen_start);

  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 2);
  struct thr o = {.bar = &bar};
  pthread_create(&th, NULL, thr_report, &o);
  pthread_barrier_wait(&bar);
  int k3 = sys_pkey_alloc(0, 0);
  pthread_barrier_wait(&bar);
  pthread_join(th, NULL);
  check(k3 > 0 && rights_in(rdpkru(), k3) == 0 && rights_in(o.seen_late, k3) == PKEY_DISABLE_ACCESS,
        "pkey_alloc gives rights to the caller only; an existing thread has key %d access-disabled (%u)", k3,
        rights_in(o.seen_late, k3));
}

struct forker { uint32_t set; int status; uint32_t child_pkru; };

static void *fork_from_thread(void *arg)
{
  struct forker *f = arg;
  int pfd[2];
  if (pipe(pfd) != 0)
    return NULL;
  wrpkru(f->set);
  pid_t pid = fork();
  if (pid == 0) {
    uint32_t v = rdpkru();
    (void)!write(pfd[1], &v, sizeof v);
    _exit(0);
  }
  waitpid(pid, &f->status, 0);
  if (read(pfd[0], &f->child_pkru, sizeof f->child_pkru) != sizeof f->child_pkru)
    f->child_pkru = 0xdeadbeef;
  close(pfd[0]);
  close(pfd[1]);
  return NULL;
}

static void c_fork(void)
{
  int k, k2;
  char *p = keyed_page(&k, 0);
  keyed_page(&k2, 0);
  uint32_t x = rdpkru() | wd(k2);

  struct forker m = {.set = x};
  fork_from_thread(&m);
  check(m.child_pkru == x, "fork child inherits the forking (main) thread's PKRU: 0x%08x (want 0x%08x)",
        m.child_pkru, x);

  pthread_t th;
  struct forker t = {.set = x | ad(k)};
  pthread_create(&th, NULL, fork_from_thread, &t);
  pthread_join(th, NULL);
  check(t.child_pkru == (x | ad(k)),
        "fork from a second thread: child has that thread's PKRU 0x%08x, not main's 0x%08x", t.child_pkru, x);

  pid_t pid = fork();
  if (pid == 0) {
    int ok = smaps_pkey(p) == k && sys_pkey_free(k2) == 0 && sys_pkey_alloc(0, 0) == k2;
    _exit(ok ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork child keeps the page tags and the allocated keys");
}

/* ---------------------------------------------------------------- the kernel's own user accesses */

static void c_uaccess(void)
{
  int k;
  char *p = keyed_page(&k, 0);
  int pfd[2];
  if (pipe(pfd) != 0)
    return;
  uint32_t open_ = rdpkru();

  wrpkru(open_ | ad(k));
  errno = 0;
  ssize_t r = write(pfd[1], p, 16);
  int err = errno;
  wrpkru(open_);
  check(r == -1 && err == EFAULT, "write(pipe, access-disabled buffer): EFAULT (got %zd, %s)", r, strerror(err));

  (void)!write(pfd[1], "0123456789abcdef", 16);
  wrpkru(open_ | wd(k));
  errno = 0;
  r = read(pfd[0], p, 16);
  err = errno;
  wrpkru(open_);
  check(r == -1 && err == EFAULT, "read(pipe, write-disabled buffer): EFAULT (got %zd, %s)", r, strerror(err));

  r = read(pfd[0], p, 16);
  check(r == 16 && memcmp(p, "0123456789abcdef", 16) == 0, "same read with the key open succeeds (%zd)", r);
}

/* ---------------------------------------------------------------- alternate stack, nesting, async */

static char *volatile alt_lo;
static volatile bool on_alt;
static void on_usr1_alt(int sig, siginfo_t *si, void *uc)
{
  char here;
  h_pkru = rdpkru();
  on_alt = &here >= alt_lo && &here < alt_lo + 65536;
}

static void c_altstack(void)
{
  int k;
  keyed_page(&k, 0);
  stack_t ss = {.ss_sp = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                .ss_size = 65536};
  alt_lo = ss.ss_sp;
  sigaltstack(&ss, NULL);
  on(SIGUSR1, on_usr1_alt, SA_ONSTACK);
  wrpkru(0);
  raise(SIGUSR1);
  uint32_t after = rdpkru();
  check(on_alt && h_pkru == PKRU_INIT, "handler on sigaltstack starts with PKRU 0x%08x (want 0x%08x, on alt stack: %s)",
        (unsigned)h_pkru, PKRU_INIT, on_alt ? "yes" : "no");
  check(after == 0, "and PKRU is restored after it: 0x%08x", after);
}

static volatile uint32_t n_outer_start, n_outer_before, n_outer_after, n_inner_start, n_outer_set, n_inner_set;
static volatile bool n_inner_edits;

static void on_usr2_inner(int sig, siginfo_t *si, void *uc)
{
  n_inner_start = rdpkru();
  wrpkru(n_inner_set);
  if (n_inner_edits)
    frame_write(uc, n_outer_set | 0xc0000000u, true);   /* the outer handler's PKRU */
}

static void on_usr1_outer(int sig, siginfo_t *si, void *uc)
{
  n_outer_start = rdpkru();
  wrpkru(n_outer_set);
  n_outer_before = rdpkru();
  raise(SIGUSR2);
  n_outer_after = rdpkru();
}

static void c_nested(void)
{
  int k;
  keyed_page(&k, 0);
  on(SIGUSR1, on_usr1_outer, 0);
  on(SIGUSR2, on_usr2_inner, 0);
  uint32_t x = PKRU_INIT & ~ad(k);
  n_outer_set = x | wd(k) | 0x30000000u;
  n_inner_set = 0;

  n_inner_edits = false;
  wrpkru(x);
  raise(SIGUSR1);
  uint32_t after = rdpkru();
  check(n_outer_start == PKRU_INIT && n_inner_start == PKRU_INIT,
        "nested signal: both handlers start with 0x%08x (outer 0x%08x, inner 0x%08x)", PKRU_INIT,
        (unsigned)n_outer_start, (unsigned)n_inner_start);
  check(n_outer_after == n_outer_set, "nested: inner sigreturn restores the outer handler's PKRU 0x%08x (got 0x%08x)",
        (unsigned)n_outer_set, (unsigned)n_outer_after);
  check(after == x, "nested: outer sigreturn restores the interrupted PKRU 0x%08x (got 0x%08x)", x, after);

  n_inner_edits = true;
  wrpkru(x);
  raise(SIGUSR1);
  after = rdpkru();
  check(n_outer_after == (n_outer_set | 0xc0000000u) && after == x,
        "nested: inner handler's frame edit reaches the outer handler (0x%08x), main keeps 0x%08x (got 0x%08x)",
        (unsigned)n_outer_after, x, after);
}

/* design §5: another thread edits a running thread's PKRU through tgkill + frame edit. */
static volatile uint32_t async_to;
static volatile int async_mode;   /* 0: target spins in user mode; 1: target sleeps in a syscall */
static volatile bool async_seen, async_faulted;
static volatile pid_t async_tid;
static char *volatile async_page;
static volatile int async_key;

static void on_usr1_async(int sig, siginfo_t *si, void *uc)
{
  frame_write(uc, async_to, true);
}

static void *async_target(void *arg)
{
  async_page[0] = 1;   /* writable now, and in this vCPU's emulated TLB */
  async_tid = (pid_t)syscall(SYS_gettid);
  double t0 = now_ns();
  if (async_mode == 0) {
    while (now_ns() - t0 < 10e9) {
      if (rdpkru() == async_to) {
        async_seen = true;
        break;
      }
    }
  } else {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
    while (now_ns() - t0 < 10e9 && !async_seen) {
      nanosleep(&ts, NULL);
      async_seen = rdpkru() == async_to;
    }
  }
  if (async_seen)
    async_faulted = touch_faults(async_page, true) && fault_si.si_code == SEGV_PKUERR &&
                    (int)fault_si.si_pkey == async_key;
  return NULL;
}

static void c_async(void)
{
  int k;
  async_page = keyed_page(&k, 0);
  async_key = k;
  on(SIGUSR1, on_usr1_async, 0);
  for (int mode = 0; mode < 2; mode++) {
    async_mode = mode;
    async_seen = async_faulted = false;
    async_tid = 0;
    async_to = rdpkru() | wd(k) | 0x0c000000u;
    pthread_t th;
    pthread_create(&th, NULL, async_target, NULL);
    while (!async_tid)
      sched_yield();
    usleep(50 * 1000);
    double t0 = now_ns();
    syscall(SYS_tgkill, getpid(), async_tid, SIGUSR1);
    pthread_join(th, NULL);
    check(async_seen, "tgkill + frame edit changes another thread's PKRU while it %s (%.0f us to observe)",
          mode ? "sleeps in nanosleep" : "spins in user mode", (now_ns() - t0) / 1e3);
    check(async_faulted, "and its next write to the now write-disabled page faults with SEGV_PKUERR");
  }

  double t0 = now_ns();
  for (int i = 0; i < 1000; i++)
    raise(SIGUSR1);
  info("timing: raise + handler with frame edit + sigreturn %.2f us", (now_ns() - t0) / 1000 / 1e3);
}

/* ================================================================= driver */

static const struct { const char *name; void (*fn)(void); } checks[] = {
  {"syscalls", c_syscalls},   {"pkru", c_pkru},         {"faults", c_faults},   {"handler", c_handler},
  {"sigreturn", c_sigreturn}, {"xsave", c_xsave},       {"retry", c_retry}, {"execonly", c_execonly},
  {"enospc", c_enospc},       {"threads", c_threads},   {"fork", c_fork},       {"uaccess", c_uaccess},
  {"altstack", c_altstack},   {"nested", c_nested},     {"async", c_async},
};

static void run_check(const char *name, void (*fn)(void))
{
  int before = tally->pass + tally->fail;
  pid_t pid = fork();
  if (pid == 0) {
    alarm(WATCHDOG_S);
    fn();
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    check(false, "%s: the check's process was killed by signal %d (%s)%s", name, WTERMSIG(st),
          strsignal(WTERMSIG(st)), WTERMSIG(st) == SIGALRM ? ": timed out" : "");
  else if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 99)
    check(false, "%s: the check's process exited %d", name, WEXITSTATUS(st));
  else if (tally->pass + tally->fail == before)
    check(false, "%s: reported nothing", name);
}

int main(int argc, char **argv)
{
  page_size = sysconf(_SC_PAGESIZE);
  tally = mmap(NULL, sizeof *tally, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (tally == MAP_FAILED)
    return 2;

  struct utsname u;
  uname(&u);
  unsigned a, b, c, d;
  __cpuid_count(7, 0, a, b, c, d);
  bool pku = c >> 3 & 1, ospke = c >> 4 & 1;
  char model[49] = "";
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000004u)
    for (unsigned i = 0; i < 3; i++)
      __cpuid(0x80000002 + i, *(unsigned *)&model[16 * i], *(unsigned *)&model[16 * i + 4],
              *(unsigned *)&model[16 * i + 8], *(unsigned *)&model[16 * i + 12]);
  info("kernel %s %s, cpu '%s', CPUID.7.0:ECX pku=%d ospke=%d", u.release, u.machine, model, pku, ospke);

  if (!ospke) {
    errno = 0;
    int k = sys_pkey_alloc(0, 0);
    printf("SKIP: no PKU on this machine (CPUID pku=%d ospke=%d; pkey_alloc: %d, %s)\n", pku, ospke, k,
           k < 0 ? strerror(errno) : "ok?");
    return 77;
  }
  __cpuid_count(1, 0, a, b, c, d);
  uint32_t xcr0 = 0, xhi;
  if (c >> 27 & 1)
    __asm__ volatile("xgetbv" : "=a"(xcr0), "=d"(xhi) : "c"(0));
  __cpuid_count(0xd, XFEATURE_PKRU, a, b, c, d);
  pkru_offset = b;
  info("XCR0 0x%x (bit 9 PKRU %s), CPUID.0xD.9: PKRU size %u offset %u", xcr0, xcr0 >> 9 & 1 ? "on" : "off", a, b);

  int ran = 0;
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    bool want = argc < 2;
    for (int j = 1; j < argc; j++)
      want |= strcmp(argv[j], checks[i].name) == 0;
    if (want) {
      run_check(checks[i].name, checks[i].fn);
      ran++;
    }
  }
  if (!ran) {
    fprintf(stderr, "usage: %s [CHECK...]; checks:", argv[0]);
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
      fprintf(stderr, " %s", checks[i].name);
    fputc('\n', stderr);
    return 2;
  }
  printf("%d passed, %d failed\n", tally->pass, tally->fail);
  return tally->fail ? 1 : 0;
}
