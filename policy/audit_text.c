/* policy/audit_text.c: the text format: one line per record (`libmpk: TIME pid=.. tid=..
 * EVENT key=value...`), then one indented line per code location (`    pc ...`, `    #N ...`:
 * address, module+offset, function), written together in one write. */
#include "policy/audit_record.h"
#include "policy/audit_time.h"

static void pair(mpk_abuf_t *b, const char *name)
{
    mpk_abuf_str(b, " ");
    mpk_abuf_str(b, name);
    mpk_abuf_str(b, "=");
}

static void field(mpk_abuf_t *b, const mpk_afield_t *f)
{
    if (f->kind == MPK_AF_STR && !f->str)
        return;
    pair(b, f->name);
    switch (f->kind) {
    case MPK_AF_NUM:
        mpk_abuf_dec(b, f->num);
        break;
    case MPK_AF_HEX:
        mpk_abuf_hex(b, (uintptr_t)f->num);
        break;
    case MPK_AF_STR:
        mpk_abuf_text_value(b, f->str);
        break;
    case MPK_AF_BOOL:
        mpk_abuf_str(b, f->num ? "yes" : "no");
        break;
    case MPK_AF_HOLDERS:
        for (long long i = 0; i < f->num; i++) {
            if (i)
                mpk_abuf_str(b, ",");
            mpk_abuf_text_value(b, f->holders[i].module ? f->holders[i].module : "?");
            mpk_abuf_str(b, ":");
            mpk_abuf_dec(b, f->holders[i].keys);
        }
        break;
    }
}

/* "    LABEL 0xADDR MODULE+0xOFFSET FUNCTION\n", or "    LABEL 0xADDR ?\n" outside any module. */
static void location(mpk_abuf_t *b, const char *label, unsigned index, const mpk_aloc_t *loc)
{
    mpk_abuf_str(b, "    ");
    mpk_abuf_str(b, label);
    if (index != ~0u)
        mpk_abuf_udec(b, index, 0);
    mpk_abuf_str(b, " ");
    mpk_abuf_hex(b, loc->pc);
    if (loc->module) {
        mpk_abuf_str(b, " ");
        mpk_abuf_str(b, loc->module);
        mpk_abuf_str(b, "+");
        mpk_abuf_hex(b, loc->offset);
        if (loc->function) {
            mpk_abuf_str(b, " ");
            mpk_abuf_str(b, loc->function);
        }
    } else {
        mpk_abuf_str(b, " ?");
    }
    mpk_abuf_close(b, "\n");
}

static bool frame_fits(mpk_abuf_t *b, unsigned i, const mpk_aloc_t *loc)
{
    char tmp[2048];
    mpk_abuf_t f;
    mpk_abuf_init(&f, tmp, sizeof tmp);
    location(&f, "#", i, loc);
    if (f.cut || b->len + f.len > b->limit)
        return false;
    mpk_abuf_put(b, tmp, f.len);
    return true;
}

void mpk_audit_format_text(mpk_abuf_t *b, const mpk_arecord_t *r, mpk_alocator_t *l)
{
    mpk_aloc_t loc;
    mpk_abuf_str(b, "libmpk: ");
    mpk_audit_put_time(b, r->sec, r->usec);
    pair(b, "pid");
    mpk_abuf_dec(b, r->pid);
    pair(b, "tid");
    mpk_abuf_dec(b, r->tid);
    mpk_abuf_str(b, " ");
    mpk_abuf_str(b, r->event);
    if (r->key >= 0) {
        pair(b, "key");
        mpk_abuf_dec(b, r->key);
    }
    if (r->has_addr) {
        pair(b, "addr");
        mpk_abuf_hex(b, r->addr);
    }
    for (unsigned i = 0; i < r->nfields; i++)
        field(b, &r->field[i]);
    if (r->message) {
        pair(b, "msg");
        mpk_abuf_text_value(b, r->message);
    }
    mpk_abuf_close(b, "\n");
    if (r->has_pc) {
        mpk_audit_locate(l, r->pc, true, &loc);
        location(b, "pc", ~0u, &loc);
    }
    if (r->frames) {
        for (unsigned i = 0; i < r->frames->n; i++) {
            mpk_audit_locate(l, r->frames->pc[i], r->frames->exact[i], &loc);
            if (!frame_fits(b, i, &loc)) {
                mpk_abuf_close(b, "    ... (backtrace cut: record size limit)\n");
                break;
            }
        }
    }
}
