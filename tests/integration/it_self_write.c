/* tests/integration/it_self_write.c: the "PKU Pitfalls" write routes (Connor et al., USENIX
 * Security 2020) that the kernel makes past PKRU: /proc/self/mem opened for writing (by open,
 * by fopen, by syscall(SYS_openat)) and process_vm_writev to this process. Each writes a byte
 * into a page whose key this thread has closed. Argument `refuse`: the writes must not land
 * (without libmpk they land, silently: the plain run fails); under self_write = refuse each
 * call fails with EACCES (open) or EPERM (process_vm_writev). Argument `allow`: the kernel's
 * behaviour is unchanged, every write lands (the audit variants read the records). */
#include "it.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static int expect_refused;

/* One route's outcome: landed (the call worked), or refused with the errno it must give. */
static void route(const char *name, bool worked, int err, int want_errno)
{
    if (expect_refused)
        IT_CHECK(!worked && err == want_errno, "%s: %s (errno %d, want %d)", name,
                 worked ? "the write went through a closed key" : "refused with another errno",
                 err, want_errno);
    else
        IT_CHECK(worked, "%s: refused (errno %d) where the kernel lets it through", name, err);
}

static bool pwrite_mem(int fd, char byte, char *at)
{
    return fd >= 0 && pwrite(fd, &byte, 1, (off_t)(uintptr_t)at) == 1;
}

int main(int argc, char **argv)
{
    it_require_pku();
    it_install_probe_handler();
    expect_refused = argc > 1 && strcmp(argv[1], "refuse") == 0;
    char *page = it_page(1);
    int key = pkey_alloc(0, 0);
    IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    IT_CHECK(pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, key) == 0, "pkey_mprotect: %s",
             strerror(errno));
    pkey_set(key, PKEY_DISABLE_ACCESS);
    IT_CHECK(!it_probe_write(page), "the closed key stops this thread's own write");

    int fd = open("/proc/self/mem", O_RDWR);
    int err = errno;
    route("open(/proc/self/mem, O_RDWR)", pwrite_mem(fd, 'O', page), err, EACCES);
    if (fd >= 0)
        close(fd);

    errno = 0;
    FILE *f = fopen("/proc/self/mem", "r+");
    err = errno;
    route("fopen(/proc/self/mem, r+)", f && pwrite_mem(fileno(f), 'F', page + 1), err, EACCES);
    if (f)
        fclose(f);

    fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_WRONLY);
    err = errno;
    route("syscall(SYS_openat, /proc/self/mem, O_WRONLY)", pwrite_mem(fd, 'S', page + 2), err, EACCES);
    if (fd >= 0)
        close(fd);

    char byte = 'V';
    struct iovec local = {&byte, 1}, remote = {page + 3, 1};
    errno = 0;
    ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
    err = errno;
    route("process_vm_writev(getpid())", n == 1, err, EPERM);

    /* Reading /proc/self/mem stays allowed: only writing is a route around the key. */
    fd = open("/proc/self/mem", O_RDONLY);
    IT_CHECK(fd >= 0, "open(/proc/self/mem, O_RDONLY): %s", strerror(errno));
    if (fd >= 0)
        close(fd);

    pkey_set(key, 0);
    const char *want = expect_refused ? "\0\0\0\0" : "OFSV";
    for (int i = 0; i < 4; i++)
        IT_CHECK(page[i] == want[i], "byte %d of the page is 0x%02x, want 0x%02x", i,
                 (unsigned char)page[i], (unsigned char)want[i]);
    return it_done("self_write");
}
