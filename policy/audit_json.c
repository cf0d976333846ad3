/* policy/audit_json.c: the JSON-lines format: exactly one JSON object per line, addresses as
 * "0x..." strings (JSON numbers lose precision above 2^53), absent values as null. */
#include "policy/audit_record.h"
#include "policy/audit_time.h"

static void member(mpk_abuf_t *b, const char *name)
{
    mpk_abuf_close(b, ",\"");
    mpk_abuf_close(b, name);
    mpk_abuf_close(b, "\":");
}

static void hex_string(mpk_abuf_t *b, uintptr_t v)
{
    mpk_abuf_close(b, "\"");
    mpk_abuf_hex(b, v);
    mpk_abuf_close(b, "\"");
}

static void string_or_null(mpk_abuf_t *b, const char *s)
{
    if (s)
        mpk_abuf_json_str(b, s);
    else
        mpk_abuf_close(b, "null");
}

static void location(mpk_abuf_t *b, const mpk_aloc_t *loc)
{
    mpk_abuf_close(b, "{\"address\":");
    hex_string(b, loc->pc);
    mpk_abuf_close(b, ",\"module\":");
    string_or_null(b, loc->module);
    mpk_abuf_close(b, ",\"offset\":");
    if (loc->module)
        hex_string(b, loc->offset);
    else
        mpk_abuf_close(b, "null");
    mpk_abuf_close(b, ",\"function\":");
    string_or_null(b, loc->function);
    mpk_abuf_close(b, "}");
}

static void field(mpk_abuf_t *b, const mpk_afield_t *f)
{
    member(b, f->name);
    switch (f->kind) {
    case MPK_AF_NUM:
        mpk_abuf_dec(b, f->num);
        break;
    case MPK_AF_HEX:
        hex_string(b, (uintptr_t)f->num);
        break;
    case MPK_AF_STR:
        string_or_null(b, f->str);
        break;
    case MPK_AF_BOOL:
        mpk_abuf_close(b, f->num ? "true" : "false");
        break;
    case MPK_AF_HOLDERS:
        mpk_abuf_str(b, "[");
        for (long long i = 0; i < f->num; i++) {
            mpk_abuf_str(b, i ? ",{\"module\":" : "{\"module\":");
            string_or_null(b, f->holders[i].module);
            mpk_abuf_str(b, ",\"keys\":");
            mpk_abuf_dec(b, f->holders[i].keys);
            mpk_abuf_close(b, "}");
        }
        mpk_abuf_close(b, "]");
        break;
    }
}

/* Frames go in whole or not at all: each is laid out apart first, then copied if it fits. */
static bool frame_fits(mpk_abuf_t *b, const mpk_aloc_t *loc, bool first)
{
    char tmp[2048];
    mpk_abuf_t f;
    mpk_abuf_init(&f, tmp, sizeof tmp);
    if (!first)
        mpk_abuf_close(&f, ",");
    location(&f, loc);
    if (f.cut || b->len + f.len > b->limit)
        return false;
    mpk_abuf_put(b, tmp, f.len);
    return true;
}

void mpk_audit_format_json(mpk_abuf_t *b, const mpk_arecord_t *r, mpk_alocator_t *l)
{
    mpk_aloc_t loc;
    bool cut = false;
    mpk_abuf_close(b, "{\"time\":\"");
    mpk_audit_put_time(b, r->sec, r->usec);
    mpk_abuf_close(b, "\"");
    member(b, "pid");
    mpk_abuf_dec(b, r->pid);
    member(b, "tid");
    mpk_abuf_dec(b, r->tid);
    member(b, "event");
    mpk_abuf_json_str(b, r->event);
    member(b, "key");
    if (r->key >= 0)
        mpk_abuf_dec(b, r->key);
    else
        mpk_abuf_close(b, "null");
    member(b, "address");
    if (r->has_addr)
        hex_string(b, r->addr);
    else
        mpk_abuf_close(b, "null");
    for (unsigned i = 0; i < r->nfields; i++)
        field(b, &r->field[i]);
    if (r->message) {
        member(b, "message");
        mpk_abuf_json_str(b, r->message);
    }
    if (r->has_pc) {
        member(b, "pc");
        mpk_audit_locate(l, r->pc, true, &loc);
        location(b, &loc);
    }
    if (r->frames) {
        member(b, "backtrace");
        mpk_abuf_close(b, "[");
        for (unsigned i = 0; i < r->frames->n && !cut; i++) {
            mpk_audit_locate(l, r->frames->pc[i], r->frames->exact[i], &loc);
            cut = !frame_fits(b, &loc, i == 0);
        }
        mpk_abuf_close(b, "]");
        if (cut) {
            member(b, "backtrace_truncated");
            mpk_abuf_close(b, "true");
        }
    }
    mpk_abuf_close(b, "}\n");
}
