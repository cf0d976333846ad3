/* tools/audit/options.c: getopt_long for mpk-audit, and its --help text. */
#include "tools/audit/options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>

void audit_print_usage(FILE *out)
{
    fputs("Usage: mpk-audit [OPTIONS] FILE...\n"
          "       mpk-audit [OPTIONS] --pid PID\n"
          "Find the PKRU writes an LD_PRELOAD library such as libmpk cannot see: WRPKRU and\n"
          "XRSTOR/XRSTORS instructions at every byte offset of the executable code (also where\n"
          "they hide inside other instructions), and raw syscall instructions for pkey_alloc,\n"
          "pkey_free and pkey_mprotect.\n"
          "\n"
          "  -d, --deps       also scan the program interpreter and every shared library the\n"
          "                   files would load (DT_NEEDED, resolved like the dynamic linker)\n"
          "  -p, --pid PID    scan the executable mappings of a running process; files are\n"
          "                   read from disk, anonymous code (JIT) from /proc/PID/mem\n"
          "  -j, --json       print one JSON document instead of text\n"
          "  -q, --quiet      print nothing on stdout; errors still go to stderr\n"
          "  -v, --verbose    also count syscalls whose number cannot be told\n"
          "  -h, --help       show this help\n"
          "\n"
          "Each finding: FILE: ADDRESS in FUNCTION+OFFSET: INSTRUCTION (CLASS: detail)\n"
          "  instruction  decoding the function lands on it: code that executes as written\n"
          "  hidden       the bytes lie inside another instruction (reachable by a jump)\n"
          "  unknown      data in executable memory, or decoding cannot tell (detail says why)\n"
          "Known harmless sites (glibc's pkey functions, the dynamic linker's XRSTOR that leaves\n"
          "PKRU alone, libmpk itself) are listed with [benign: reason] and do not count.\n"
          "\n"
          "Exit status: 0 nothing found (or only benign sites), 1 findings, 2 error.\n",
          out);
}

static int parse_pid(const char *s, int *pid)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > INT_MAX)
        return EINVAL;
    *pid = (int)v;
    return 0;
}

static int add_pid(audit_options_t *o, const char *arg, FILE *err)
{
    int pid;
    if (parse_pid(arg, &pid)) {
        fprintf(err, "mpk-audit: error: --pid needs a process id, not '%s'\n", arg);
        return EINVAL;
    }
    int *v = realloc(o->pids, (o->npids + 1) * sizeof *v);
    if (!v) {
        fprintf(err, "mpk-audit: error: out of memory\n");
        return EINVAL;
    }
    o->pids = v;
    o->pids[o->npids++] = pid;
    return 0;
}

int audit_options_parse(int argc, char **argv, audit_options_t *o, FILE *err)
{
    static const struct option longopts[] = {
        {"deps", no_argument, NULL, 'd'},   {"pid", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},   {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (audit_options_t){0};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":dp:jqvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->deps = true; break;
        case 'j': o->json = true; break;
        case 'q': o->quiet = true; break;
        case 'v': o->verbose = true; break;
        case 'h': o->help = true; break;
        case 'p':
            if (add_pid(o, optarg, err))
                return EINVAL;
            break;
        case ':':
            fprintf(err, "mpk-audit: error: %s needs an argument; try --help\n", argv[optind - 1]);
            return EINVAL;
        default:
            fprintf(err, "mpk-audit: error: unknown option '%s'; try --help\n", argv[optind - 1]);
            return EINVAL;
        }
    }
    o->files = argv + optind;
    o->nfiles = (size_t)(argc - optind);
    if (!o->help && o->nfiles == 0 && o->npids == 0) {
        fprintf(err, "mpk-audit: error: no file or --pid given; try --help\n");
        return EINVAL;
    }
    if (o->deps && o->npids) {
        fprintf(err, "mpk-audit: error: --deps applies to files; --pid already scans every "
                     "library the process has loaded\n");
        return EINVAL;
    }
    return 0;
}

void audit_options_free(audit_options_t *o)
{
    free(o->pids);
    o->pids = NULL;
}
