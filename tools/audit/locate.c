/* tools/audit/locate.c: naming a site's function and picking the decode start. Every known start
 * (function symbol, .eh_frame_hdr entry, code section start) is an instruction boundary; the
 * closest one before the site makes the shortest sweep. */
#include "tools/audit/locate.h"

/* The section holding addr; true when it is a code section whose start bounds the sweep. */
static bool locate_section(const audit_where_t *w, uint64_t addr, audit_location_t *loc,
                           uint64_t *section_start)
{
    Elf64_Shdr sh;
    loc->in_code = true;
    if (!w->elf || w->elf->shnum == 0)
        return false;
    if (!audit_elf_section_at(w->elf, addr, &sh)) {
        loc->in_code = false;
        return false;
    }
    loc->section = audit_elf_section_name(w->elf, &sh);
    loc->in_code = (sh.sh_flags & SHF_EXECINSTR) != 0;
    *section_start = sh.sh_addr;
    return loc->in_code;
}

static void locate_function(const audit_where_t *w, uint64_t addr, uint64_t floor,
                            audit_location_t *loc)
{
    bool inside = false;
    const audit_sym_t *s = w->syms ? audit_symbols_lookup(w->syms, addr, &inside) : NULL;
    /* A symbol before the site's section belongs to other code: only a nearest name, no more. */
    if (s && (inside || s->addr >= floor)) {
        loc->name = s->name;
        loc->name_inside = inside;
        loc->func_start = s->addr;
        loc->has_func = true;
    }
    uint64_t fde = w->fdes ? audit_fde_start_before(w->fdes, addr) : 0;
    /* An FDE start after the symbol is a function the symbol table does not name. */
    if (fde && fde >= floor && (!loc->has_func || (fde > loc->func_start && !inside))) {
        loc->name = NULL;
        loc->name_inside = false;
        loc->func_start = fde;
        loc->has_func = true;
    }
}

void audit_locate(const audit_where_t *w, const audit_code_t *code, uint64_t addr,
                  audit_location_t *loc)
{
    *loc = (audit_location_t){0};
    uint64_t section_start = 0;
    bool code_section = locate_section(w, addr, loc, &section_start);
    uint64_t floor = section_start > code->vaddr ? section_start : code->vaddr;
    locate_function(w, addr, floor, loc);

    /* A section start is a boundary only when the region holds it (a --pid window may not). */
    loc->sweep_start = floor;
    loc->boundary_known = code_section && section_start >= code->vaddr;
    if (loc->has_func && loc->func_start >= floor) {
        loc->sweep_start = loc->func_start;
        loc->boundary_known = true;
    }
    /* A closer FDE start (e.g. a cold part inside a named function) shortens the sweep. */
    uint64_t fde = w->fdes ? audit_fde_start_before(w->fdes, addr) : 0;
    if (fde > loc->sweep_start && fde >= floor) {
        loc->sweep_start = fde;
        loc->boundary_known = true;
    }
}
