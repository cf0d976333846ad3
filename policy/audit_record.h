/* policy/audit_record.h: one audit record as its two formats see it (common fields, the
 * event's own fields, a code location, a backtrace), and how code addresses become
 * module+offset+function. Everything here is async-signal-safe and never allocates. */
#ifndef MPK_POLICY_AUDIT_RECORD_H
#define MPK_POLICY_AUDIT_RECORD_H

#include "policy/audit_backtrace.h"
#include "policy/audit_buf.h"
#include "policy/audit_symtab.h"

#include <stdbool.h>
#include <stdint.h>

#define MPK_AUDIT_RECORD_MAX 8192 /* bytes in one record, newline included */
#define MPK_AUDIT_FIELDS_MAX 12

enum mpk_afield_kind { MPK_AF_NUM, MPK_AF_HEX, MPK_AF_STR, MPK_AF_BOOL, MPK_AF_HOLDERS };

/* A module and how many keys it holds (keys_exceeded). */
typedef struct mpk_aholder {
    const char *module; /* NULL: code in no known object (JIT code) */
    long keys;
} mpk_aholder_t;

typedef struct mpk_afield {
    const char *name;
    enum mpk_afield_kind kind;
    long long num;   /* NUM, HEX (an address), BOOL; HOLDERS: how many in holders */
    const char *str; /* STR; NULL is written as null (JSON) or left out (text) */
    const mpk_aholder_t *holders; /* HOLDERS: JSON [{"module":..,"keys":N},..], text MODULE:N,.. */
} mpk_afield_t;

typedef struct mpk_arecord {
    /* Filled by the writer (policy/audit_emit.c). */
    int64_t sec;
    long usec;
    int pid, tid;
    /* Filled by the reporter. */
    const char *event;
    long key;   /* < 0: no key */
    bool has_addr;
    uintptr_t addr;
    mpk_afield_t field[MPK_AUDIT_FIELDS_MAX];
    unsigned nfields;
    const char *message; /* or NULL */
    bool has_pc;         /* the instruction that faulted, as a code location */
    uintptr_t pc;
    const mpk_frames_t *frames; /* NULL: no backtrace member (backtrace = off) */
} mpk_arecord_t;

void mpk_arecord_num(mpk_arecord_t *r, const char *name, long long v);
void mpk_arecord_hex(mpk_arecord_t *r, const char *name, uintptr_t v);
void mpk_arecord_str(mpk_arecord_t *r, const char *name, const char *s);
void mpk_arecord_bool(mpk_arecord_t *r, const char *name, bool v);
void mpk_arecord_holders(mpk_arecord_t *r, const char *name, const mpk_aholder_t *h, unsigned n);

/* A code address made readable: the object holding it, the offset in that object's ELF
 * address space (what addr2line takes; for a return address, one less, so that it falls in the
 * call instruction), and the function's name when the object's file names it. */
typedef struct mpk_aloc {
    uintptr_t pc;
    const char *module; /* NULL: no known object (JIT code) */
    uintptr_t offset;
    const char *function; /* NULL: not known here (mpk-report asks addr2line) */
} mpk_aloc_t;

/* Scratch space for locating; syms NULL: no names. */
typedef struct mpk_alocator {
    mpk_symcache_t *syms;
    char module[1024];
    char function[256];
} mpk_alocator_t;

void mpk_audit_locate(mpk_alocator_t *l, uintptr_t pc, bool exact, mpk_aloc_t *out);

/* The two formats. Each writes one record and its final newline into b, well formed even when
 * b is too small for all of it (the backtrace is cut first, and the record says so). */
void mpk_audit_format_json(mpk_abuf_t *b, const mpk_arecord_t *r, mpk_alocator_t *l);
void mpk_audit_format_text(mpk_abuf_t *b, const mpk_arecord_t *r, mpk_alocator_t *l);

#endif
