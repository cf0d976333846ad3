/* tools/audit/options.h: the command line of mpk-audit, parsed into one struct. */
#ifndef MPK_AUDIT_OPTIONS_H
#define MPK_AUDIT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct audit_options {
    char **files;       /* points into argv */
    size_t nfiles;
    int *pids;          /* malloc'ed */
    size_t npids;
    bool deps;
    bool json;
    bool quiet;
    bool verbose;
    bool help;
} audit_options_t;

/* Returns 0, or EINVAL after writing the reason to err. */
int audit_options_parse(int argc, char **argv, audit_options_t *o, FILE *err);
void audit_options_free(audit_options_t *o);
void audit_print_usage(FILE *out);

#endif
