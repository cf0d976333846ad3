/* mpk.h: the libmpk API, for programs that opt in (link with -lmpk, or pkg-config libmpk).
 *
 * A group is the memory of one virtual key (a key from pkey_alloc, or from mpk_mmap's caller).
 * libmpk caches any number of virtual keys on the 15 hardware keys; every call below works for
 * any live key, resident or not. Errors: -1 (or NULL / MAP_FAILED) with errno, as the kernel's
 * own calls. The same manager serves these calls and the unmodified pkey_* calls: keys from
 * either work with both.
 *
 * Rights are given as mmap protections: PROT_NONE, PROT_READ or PROT_READ|PROT_WRITE.
 */
#ifndef MPK_H
#define MPK_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Start libmpk explicitly (it also starts by itself). evict_rate is accepted for source
 * compatibility with the paper's API: -1 keeps the configured eviction policy; 0..100 is a
 * hint of how many of the hardware keys may be taken from resident groups when a group needs
 * one: 0 selects random eviction (cheapest bookkeeping), anything else LRU. Returns 0, or -1
 * with ENOTSUP when the CPU or kernel has no PKU, EINVAL for a rate out of range. */
int mpk_init(int evict_rate);

/* mmap, with the new mapping put in vkey's group (the key must be live). MAP_FAILED on error:
 * EINVAL for a key that is not allocated, or mmap's own errors. */
void *mpk_mmap(int vkey, void *addr, size_t len, int prot, int flags, int fd, off_t offset);

/* Unmap every page of vkey's group and free the key. */
int mpk_munmap(int vkey);

/* This thread gets prot on the group until the matching mpk_end, which restores the rights
 * it had; the group stays on a hardware key in between (unless more groups are open in
 * begin/end sections at once than there are hardware keys: then it may be moved out and
 * back in by a fault, still with the same rights). Sections nest. No other group opens. */
int mpk_begin(int vkey, int prot);
int mpk_end(int vkey);

/* The rights of every thread on the group, as mprotect changes a mapping for the whole
 * process. Revocations are complete when the call returns; grants reach each thread at its
 * next access to the group, without a fault the program can see. No page-table change where
 * signalling the threads that have the group open is cheaper. A thread inside mpk_begin keeps
 * its section's rights until mpk_end, which then restores these. */
int mpk_mprotect(int vkey, int prot);

/* A heap per key: memory inside vkey's group (so reachable only with rights on the group).
 * mpk_free(NULL) does nothing; freeing anything else than an mpk_malloc pointer is reported
 * and ignored. */
void *mpk_malloc(int vkey, size_t size);
void mpk_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif
