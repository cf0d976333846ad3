/* policy/audit_locate.c: the fields of audit records, and code addresses turned into
 * module+offset+function through the module table and the module's own symbol table. */
#include "policy/audit_record.h"

#include "policy/audit_modules.h"

static mpk_afield_t *next_field(mpk_arecord_t *r, const char *name, enum mpk_afield_kind kind)
{
    static mpk_afield_t spare; /* a full record drops extra fields (a bug, never a crash) */
    mpk_afield_t *f = r->nfields < MPK_AUDIT_FIELDS_MAX ? &r->field[r->nfields++] : &spare;
    f->name = name;
    f->kind = kind;
    f->num = 0;
    f->str = NULL;
    f->holders = NULL;
    return f;
}

void mpk_arecord_num(mpk_arecord_t *r, const char *name, long long v) { next_field(r, name, MPK_AF_NUM)->num = v; }
void mpk_arecord_hex(mpk_arecord_t *r, const char *name, uintptr_t v) { next_field(r, name, MPK_AF_HEX)->num = (long long)v; }
void mpk_arecord_str(mpk_arecord_t *r, const char *name, const char *s) { next_field(r, name, MPK_AF_STR)->str = s; }
void mpk_arecord_bool(mpk_arecord_t *r, const char *name, bool v) { next_field(r, name, MPK_AF_BOOL)->num = v; }
void mpk_arecord_holders(mpk_arecord_t *r, const char *name, const mpk_aholder_t *h, unsigned n)
{
    mpk_afield_t *f = next_field(r, name, MPK_AF_HOLDERS);
    f->holders = h;
    f->num = n;
}

void mpk_audit_locate(mpk_alocator_t *l, uintptr_t pc, bool exact, mpk_aloc_t *out)
{
    uintptr_t bias;
    out->pc = pc;
    out->module = NULL;
    out->offset = 0;
    out->function = NULL;
    if (!mpk_audit_module_of(pc, l->module, sizeof l->module, &bias))
        return;
    out->module = l->module;
    out->offset = pc - bias - (exact || pc == bias ? 0 : 1);
    if (l->syms && mpk_symbol_at(l->syms, l->module, out->offset, l->function, sizeof l->function))
        out->function = l->function;
}
