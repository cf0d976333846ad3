/* tools/audit/site.h: the byte patterns the auditor looks for, shared by the byte scanner that
 * finds them and the classifier that decodes them. */
#ifndef MPK_AUDIT_SITE_H
#define MPK_AUDIT_SITE_H

typedef enum audit_site {
    AUDIT_SITE_WRPKRU,      /* 0F 01 EF */
    AUDIT_SITE_XRSTOR,      /* 0F AE /5, memory operand: xrstor, xrstor64 */
    AUDIT_SITE_XRSTORS,     /* 0F C7 /3, memory operand: xrstors, xrstors64 (ring 0 only) */
    AUDIT_SITE_SYSCALL,     /* 0F 05 */
} audit_site_t;

#endif
