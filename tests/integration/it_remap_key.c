/* tests/integration/it_remap_key.c: a fresh mapping over keyed memory (Wasmtime 13982: a slot
 * re-mapped with MAP_FIXED lost its key, and another instance read it). Three ways to re-map a
 * keyed slot: mmap(MAP_FIXED), mremap(MREMAP_FIXED) of fresh memory onto it, and munmap then
 * mmap at the same address. `keep`: the slot must still carry the key (on_remap = keep), so a
 * thread with the key closed faults; `reset`: the kernel's rule, it reaches the new pages. */
#include "it.h"

#define SLOT (2 * 4096)

static int key;

/* The re-mappings, each returning the address of the new pages (MAP_FAILED on error). */
static char *remap_fixed(char *slot)
{
    return mmap(slot, SLOT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static char *remap_mremap(char *slot)
{
    char *fresh = mmap(NULL, SLOT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED)
        return MAP_FAILED;
    return mremap(fresh, SLOT, SLOT, MREMAP_MAYMOVE | MREMAP_FIXED, slot);
}

static char *remap_unmap(char *slot)
{
    if (munmap(slot, SLOT))
        return MAP_FAILED;
    /* A hint, no MAP_FIXED: the address is free, so the kernel gives it back. */
    return mmap(slot, SLOT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static const struct way {
    const char *name;
    char *(*remap)(char *);
} ways[] = { { "mmap MAP_FIXED", remap_fixed }, { "mremap MREMAP_FIXED", remap_mremap },
             { "munmap + mmap", remap_unmap } };

static void one_way(const struct way *w, bool keep)
{
    char *slot = it_page(2), *p;
    IT_CHECK(pkey_mprotect(slot, SLOT, PROT_READ | PROT_WRITE, key) == 0, "%s: pkey_mprotect: %s",
             w->name, strerror(errno));
    IT_CHECK(it_probe_write_byte(slot, 's') && it_probe_write_byte(slot + 4096, 's'),
             "%s: the owner writes its slot", w->name);
    pkey_set(key, PKEY_DISABLE_ACCESS); /* now another instance: the key is closed here */
    IT_CHECK(!it_probe_read(slot), "%s: the slot is closed before the re-mapping", w->name);

    p = w->remap(slot);
    IT_CHECK(p == slot, "%s: the new pages are at the slot's address (%p, %p): %s", w->name,
             (void *)p, (void *)slot, strerror(errno));
    if (p != slot) {
        pkey_set(key, 0);
        return;
    }
    /* For audit_check.py remap: which range each way re-mapped. */
    fprintf(stderr, "it_remap_key: %s at %p key=%d\n", w->name, (void *)slot, key);
    if (keep) {
        IT_CHECK(!it_probe_read(slot) && !it_probe_read(slot + SLOT - 1),
                 "%s: a thread with the key closed reads the re-mapped slot: the key was dropped",
                 w->name);
        IT_CHECK(it_last.code == SEGV_PKUERR && it_last.pkey == key,
                 "%s: the fault is SEGV_PKUERR on key %d (code %d key %d)", w->name, key,
                 it_last.code, it_last.pkey);
        IT_CHECK(!it_probe_write(slot + 4096), "%s: ... and writes it", w->name);
        pkey_set(key, 0);
        IT_CHECK(it_probe_read(slot) && it_probe_write(slot) && it_probe_write(slot + 4096),
                 "%s: with the key open the new pages are readable and writable", w->name);
        IT_CHECK(slot[0] == 0x5a && slot[1] == 0, "%s: fresh pages (zero), not the old contents",
                 w->name);
    } else {
        IT_CHECK(it_probe_read(slot) && it_probe_write(slot + 4096),
                 "%s: the kernel's rule: the new pages carry key 0 (fault code %d)", w->name,
                 it_last.code);
        pkey_set(key, 0);
    }
    munmap(slot, SLOT);
}

int main(int argc, char **argv)
{
    bool keep = argc > 1 && strcmp(argv[1], "keep") == 0;
    it_require_pku();
    it_install_probe_handler();
    key = pkey_alloc(0, 0);
    IT_CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++)
        one_way(&ways[i], keep);
    return it_done("remap_key");
}
