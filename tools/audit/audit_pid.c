/* tools/audit/audit_pid.c: --pid. Files are read from disk (maps is enough for that, and symbols
 * come with them); only code that exists nowhere else is read from /proc/PID/mem, which needs
 * ptrace access. */
#include "tools/audit/audit_pid.h"

#include "tools/audit/error.h"
#include "tools/audit/privilege.h"
#include "tools/audit/procmaps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pid_run {
    int pid;
    const audit_file_opts_t *opts;
    audit_decoder_t *dec;
    audit_emit_fn emit;
    void *ctx;
} pid_run_t;

static int emit_object(const pid_run_t *run, audit_object_t *obj)
{
    obj->pid = run->pid;
    int err = run->emit(run->ctx, obj);
    audit_object_free(obj);
    return err;
}

static int access_error(int err, int denied_code)
{
    if (err == EACCES || err == EPERM)
        return denied_code;
    return err == ESRCH ? AUDIT_E_NO_PROCESS : err;
}

/* ---------------------------------------------------------------- file-backed mappings */

/* The windows of every mapping of path, in the order maps lists them. */
static int collect_windows(const audit_mappings_t *maps, const char *path,
                           audit_window_t **out, size_t *n)
{
    *out = calloc(maps->n, sizeof **out);
    *n = 0;
    if (!*out)
        return ENOMEM;
    for (size_t i = 0; i < maps->n; i++)
        if (audit_mapping_is_file(&maps->v[i]) && strcmp(maps->v[i].path, path) == 0)
            (*out)[(*n)++] = (audit_window_t){.file_off = maps->v[i].offset,
                                              .len = maps->v[i].end - maps->v[i].start,
                                              .runtime = maps->v[i].start};
    return 0;
}

static int scan_file_mappings(const pid_run_t *run, const audit_mappings_t *maps,
                              const char *path)
{
    audit_object_t obj;
    audit_window_t *windows;
    size_t n;
    if (audit_object_init(&obj, path, NULL))
        return ENOMEM;
    int err = collect_windows(maps, path, &windows, &n);
    audit_image_t img;
    struct stat st;
    int ferr = err ? 0 : audit_image_open(path, &img, &st);
    if (!err && ferr) {
        obj.error = ferr;
    } else if (!err) {
        audit_read_privilege(path, &st, &obj);
        err = audit_file_image(&img, windows, n, run->opts, run->dec, &obj, NULL);
        audit_image_close(&img);
    }
    free(windows);
    if (err) {
        audit_object_free(&obj);
        return err;
    }
    return emit_object(run, &obj);
}

/* First mapping of each file, so each file is scanned once. */
static bool first_of_its_file(const audit_mappings_t *maps, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (audit_mapping_is_file(&maps->v[j]) && strcmp(maps->v[j].path, maps->v[i].path) == 0)
            return false;
    return true;
}

/* ---------------------------------------------------------------- memory-only mappings */

static int scan_memory_mapping(const pid_run_t *run, const audit_mapping_t *m)
{
    char name[512];
    snprintf(name, sizeof name, "%s 0x%" PRIx64 "-0x%" PRIx64, m->path[0] ? m->path : "[anon]",
             m->start, m->end);
    audit_object_t obj;
    if (audit_object_init(&obj, name, NULL))
        return ENOMEM;
    obj.is_memory = true;
    uint8_t *bytes;
    size_t got;
    int rerr = audit_read_process_memory(run->pid, m->start, m->end, &bytes, &got);
    int err = 0;
    if (rerr == ENOMEM)
        err = ENOMEM;
    else if (rerr)
        obj.error = access_error(rerr, AUDIT_E_MEM_ACCESS);
    /* What was read is scanned even when the rest was not: partial answers beat none. */
    if (!err && bytes && got)
        err = audit_scan_memory(bytes, got, m->start, run->opts->count_syscalls, run->dec, &obj);
    free(bytes);
    if (err) {
        audit_object_free(&obj);
        return err;
    }
    return emit_object(run, &obj);
}

/* [vsyscall] is the kernel's fixed page, unreadable on current kernels and never program code. */
static bool is_vsyscall(const audit_mapping_t *m)
{
    return strcmp(m->path, "[vsyscall]") == 0;
}

/* ---------------------------------------------------------------- the process */

static int report_process_error(const pid_run_t *run, int err)
{
    char name[64];
    snprintf(name, sizeof name, "/proc/%d", run->pid);
    audit_object_t obj;
    if (audit_object_init(&obj, name, NULL))
        return ENOMEM;
    obj.error = access_error(err, AUDIT_E_MAPS_ACCESS);
    /* Not through emit_object: the name already says which process. */
    int eerr = run->emit(run->ctx, &obj);
    audit_object_free(&obj);
    return eerr;
}

int audit_pid(int pid, const audit_file_opts_t *opts, audit_decoder_t *dec, audit_emit_fn emit,
              void *ctx)
{
    pid_run_t run = {.pid = pid, .opts = opts, .dec = dec, .emit = emit, .ctx = ctx};
    audit_mappings_t maps;
    int err = audit_read_exec_mappings(pid, &maps);
    if (err == ENOMEM)
        return err;
    if (err)
        return report_process_error(&run, err);
    for (size_t i = 0; !err && i < maps.n; i++) {
        const audit_mapping_t *m = &maps.v[i];
        if (is_vsyscall(m))
            continue;
        if (!audit_mapping_is_file(m))
            err = scan_memory_mapping(&run, m);
        else if (first_of_its_file(&maps, i))
            err = scan_file_mappings(&run, &maps, m->path);
    }
    audit_mappings_free(&maps);
    return err;
}
