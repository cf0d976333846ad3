/* policy/audit_sealed.c: the page of the audit log's fixed values, and its sealing. */
#include "policy/audit_sealed.h"

#include "core/prim.h"
#include "core/report.h"

#include <sys/mman.h>

__attribute__((aligned(4096))) mpk_audit_sealed_page_t mpk_audit_sealed_page = {.s = {.log_fd = 2}};

void mpk_audit_seal(void)
{
    long r = mpk_sys_mprotect(&mpk_audit_sealed_page, sizeof mpk_audit_sealed_page, PROT_READ);
    if (r)
        _mpk_stop_unsealed("the audit log's fixed values read-only", r);
}
