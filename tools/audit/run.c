/* tools/audit/run.c: the driver. With --deps, objects are visited breadth first as the dynamic
 * linker loads them (interpreter, then DT_NEEDED in order), each file once. */
#include "tools/audit/run.h"

#include "tools/audit/audit_file.h"
#include "tools/audit/audit_pid.h"
#include "tools/audit/deps.h"
#include "tools/audit/error.h"
#include "tools/audit/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
    const audit_options_t *opts;
    audit_file_opts_t file_opts;
    audit_decoder_t dec;
    audit_reporter_t rep;
    audit_summary_t sum;
    audit_dso_list_t dsos;      /* --deps: every object loaded so far */
    audit_ldcache_t cache;
    bool have_cache;
    audit_deps_env_t env;
} run_t;

static int emit(void *ctx, audit_object_t *obj)
{
    run_t *run = ctx;
    if (obj->error)
        audit_report_error(obj);
    audit_summary_add(&run->sum, obj);
    run->rep.object(&run->rep, obj);
    return 0;
}

/* Audits path and reports it. links receives what --deps needs when it is not NULL. */
static int audit_one(run_t *run, const char *path, const char *needed_by, audit_links_t *links,
                     bool *is_elf)
{
    audit_object_t obj;
    if (audit_object_init(&obj, path, needed_by))
        return ENOMEM;
    int err = audit_file(&run->file_opts, &run->dec, &obj, links);
    *is_elf = obj.is_elf && !obj.error;
    if (!err)
        err = emit(run, &obj);
    audit_object_free(&obj);
    return err;
}

/* ---------------------------------------------------------------- --deps */

static int report_missing(run_t *run, const char *name, const char *needed_by)
{
    audit_object_t obj;
    if (audit_object_init(&obj, name, needed_by))
        return ENOMEM;
    obj.error = AUDIT_E_LIB_NOT_FOUND;
    int err = emit(run, &obj);
    audit_object_free(&obj);
    return err;
}

/* Audits the file at canonical path and adds it to the list, loaded by parent as name. */
static int load_object(run_t *run, char *path, const char *name, size_t parent)
{
    audit_links_t links = {0};
    bool is_elf;
    int err = audit_one(run, path, run->dsos.v[parent].path, &links, &is_elf);
    char *as = name ? strdup(name) : NULL;
    if (err || (name && !as)) {
        free(path);
        free(as);
        audit_links_free(&links);
        return err ? err : ENOMEM;
    }
    return audit_dso_add(&run->dsos, path, as, &links, parent);
}

static int load_needed(run_t *run, size_t requester, const char *name)
{
    if (audit_dso_list_has_name(&run->dsos, name))
        return 0;
    char *path;
    int err = audit_deps_find(&run->env, &run->dsos, requester, name, &path);
    if (err == AUDIT_E_LIB_NOT_FOUND)
        return report_missing(run, name, run->dsos.v[requester].path);
    if (err)
        return err;
    if (audit_dso_list_find_path(&run->dsos, path) != AUDIT_NO_PARENT) {
        free(path);
        return 0;
    }
    return load_object(run, path, name, requester);
}

/* The kernel maps the interpreter before anything is searched, so it is loaded first. */
static int load_interpreter(run_t *run, size_t root)
{
    const char *interp = run->dsos.v[root].links.interp;
    if (!interp)
        return 0;
    char *path = realpath(interp, NULL);
    if (!path)
        return report_missing(run, interp, run->dsos.v[root].path);
    if (audit_dso_list_find_path(&run->dsos, path) != AUDIT_NO_PARENT) {
        free(path);
        return 0;
    }
    return load_object(run, path, NULL, root);
}

/* Breadth first from the root: the list grows while it is walked. */
static int follow_deps(run_t *run, size_t root)
{
    int err = load_interpreter(run, root);
    for (size_t i = root; !err && i < run->dsos.n; i++) {
        for (size_t k = 0; !err && k < run->dsos.v[i].links.nneeded; k++)
            err = load_needed(run, i, run->dsos.v[i].links.needed[k]);
    }
    return err;
}

static int audit_root_with_deps(run_t *run, const char *file)
{
    audit_links_t links = {0};
    bool is_elf;
    char *canon = realpath(file, NULL);
    if (canon && audit_dso_list_find_path(&run->dsos, canon) != AUDIT_NO_PARENT) {
        free(canon);    /* already scanned as a dependency of an earlier file */
        return 0;
    }
    int err = audit_one(run, file, NULL, &links, &is_elf);
    if (err || !is_elf || !canon) {
        free(canon);
        audit_links_free(&links);
        return err;
    }
    size_t root = run->dsos.n;
    err = audit_dso_add(&run->dsos, canon, NULL, &links, AUDIT_NO_PARENT);
    return err ? err : follow_deps(run, root);
}

/* ---------------------------------------------------------------- the run */

static void setup_search(run_t *run)
{
    run->have_cache = audit_ldcache_open("/etc/ld.so.cache", &run->cache) == 0;
    run->env.cache = run->have_cache ? &run->cache : NULL;
    run->env.ld_library_path = getenv("LD_LIBRARY_PATH");
    run->env.default_dirs = audit_default_lib_dirs;
}

static void choose_reporter(run_t *run)
{
    const audit_options_t *o = run->opts;
    if (o->quiet)
        audit_reporter_quiet(&run->rep);
    else if (o->json)
        audit_reporter_json(&run->rep, stdout, o->verbose);
    else
        audit_reporter_text(&run->rep, stdout, o->verbose);
}

static int audit_inputs(run_t *run)
{
    const audit_options_t *o = run->opts;
    int err = 0;
    for (size_t i = 0; !err && i < o->nfiles; i++) {
        bool is_elf;
        err = o->deps ? audit_root_with_deps(run, o->files[i])
                      : audit_one(run, o->files[i], NULL, NULL, &is_elf);
    }
    for (size_t i = 0; !err && i < o->npids; i++)
        err = audit_pid(o->pids[i], &run->file_opts, &run->dec, emit, run);
    return err;
}

int audit_run(const audit_options_t *o)
{
    run_t run = {.opts = o, .file_opts = {.count_syscalls = o->verbose}};
    int err = audit_decoder_open(&run.dec);
    if (err) {
        fprintf(stderr, "mpk-audit: error: %s\n", audit_strerror(err));
        return 2;
    }
    if (o->deps)
        setup_search(&run);
    choose_reporter(&run);
    run.rep.begin(&run.rep);
    err = audit_inputs(&run);
    if (err) {
        fprintf(stderr, "mpk-audit: error: %s\n", audit_strerror(err));
        run.sum.errors++;
    }
    int status = audit_exit_status(&run.sum);
    run.rep.end(&run.rep, &run.sum, status);
    audit_dso_list_free(&run.dsos);
    if (run.have_cache)
        audit_ldcache_close(&run.cache);
    audit_decoder_close(&run.dec);
    return status;
}
