/* tools/audit/main.c: mpk-audit's entry point; everything else is in the mpk_audit_core library
 * so tests and the fuzzer link the same code. */
#include "tools/audit/options.h"
#include "tools/audit/run.h"

int main(int argc, char **argv)
{
    audit_options_t o;
    if (audit_options_parse(argc, argv, &o, stderr))
        return 2;
    if (o.help) {
        audit_print_usage(stdout);
        audit_options_free(&o);
        return 0;
    }
    int status = audit_run(&o);
    audit_options_free(&o);
    return status;
}
