/* tests/integration/it_tamper.c: the library's state is tamper-proof (design.md §6). Flipping
 * bytes all over libmpk's writable memory changes nothing the manager enforces; a write into
 * its protected arena stops the process with a report that says "tamper". */
#include "it.h"

#include <sys/wait.h>
#include <unistd.h>

static bool page_writable(unsigned long addr)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    bool w = false;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && addr >= a && addr < b)
            w = perms[1] == 'w';
    }
    if (f)
        fclose(f);
    return w;
}

/* Every third byte of libmpk's writable data, flipped; the sealed pages inside (the start-up values,
 * the policy) are read-only by now, and skipped. Memory around the segment belongs to the
 * dynamic linker. */
static int flip_library_data(void)
{
    uintptr_t range[2] = {0, 0};
    int pages = 0;
    it_libmpk_data(&range[0], &range[1]);
    for (unsigned long page = range[0] & ~4095ul; page < range[1]; page += 4096) {
        if (!page_writable(page))
            continue;
        for (unsigned long p = page > range[0] ? page : range[0]; p < page + 4096 && p < range[1]; p += 3)
            *(volatile unsigned char *)p ^= 0xa5;
        pages++;
    }
    return pages;
}

int main(void)
{
    int k, status, fds[2], pages;
    char *page, *meta, out[4096] = "";
    pid_t pid;
    ssize_t n;
    it_require_pku();
    if (!it_preloaded()) {
        printf("SKIP: needs libmpk preloaded\n");
        return IT_SKIP;
    }
    it_install_probe_handler();
    k = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    page = it_page(1);
    IT_CHECK(k > 0 && pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, k) == 0, "set-up");

    pages = flip_library_data();
    IT_CHECK(pages > 0, "found no writable memory of libmpk");
    IT_CHECK(!it_probe_read(page), "the key opened after libmpk's data was scrambled");
    IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == k, "fault: code %d pkey %d",
             it_last.code, it_last.pkey);
    IT_CHECK(pkey_set(k, 0) == 0 && it_probe_write(page), "pkey_set no longer works");
    IT_CHECK(pkey_set(k, PKEY_DISABLE_ACCESS) == 0 && !it_probe_read(page), "closing failed");
    errno = 0;
    IT_CHECK(pkey_set(k + 1000, 0) == -1 && errno == EINVAL, "a forged key was accepted");
    IT_CHECK(pkey_alloc(0, 0) > 0, "pkey_alloc after scrambling");

    /* A write into the arena: the process stops, saying why. */
    meta = it_libmpk_arena();
    IT_CHECK(meta != NULL, "no mapping with the metadata key");
    if (pipe(fds) == 0 && meta) {
        pid = fork();
        if (pid == 0) {
            dup2(fds[1], 2);
            meta[64] ^= 1;
            _exit(0); /* not reached */
        }
        close(fds[1]);
        n = read(fds[0], out, sizeof out - 1);
        out[n > 0 ? n : 0] = 0;
        waitpid(pid, &status, 0);
        IT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "tampering child: status %#x",
                 status);
        IT_CHECK(strstr(out, "tamper") != NULL, "no tamper report: '%s'", out);
    }
    printf("scrambled %d pages of libmpk's data\n", pages);
    return it_done("tamper");
}
