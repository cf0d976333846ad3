/* tests/audit/unit_deps.c: the library search order (RPATH and its inheritance, LD_LIBRARY_PATH,
 * RUNPATH, cache, default directories, DF_1_NODEFLIB), $ORIGIN-style tokens, and skipping files
 * of the wrong class, all in a scratch directory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* asprintf */
#endif
#include "tools/audit/deps.h"

#include "tools/audit/error.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <elf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];

static void write_header(const char *path, unsigned char cls)
{
    Elf64_Ehdr eh = {0};
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = cls;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(&eh, sizeof eh, 1, f);
    fclose(f);
}

/* root/<dir>/libx.so, a loadable library unless cls says otherwise. */
static void make_lib(const char *dir, unsigned char cls)
{
    char *d, *path;
    cr_assert_gt(asprintf(&d, "%s/%s", root, dir), 0);
    cr_assert_gt(asprintf(&path, "%s/libx.so", d), 0);
    mkdir(d, 0755);
    write_header(path, cls);
    free(d);
    free(path);
}

static void setup(void)
{
    char tmpl[] = "/tmp/audit_deps_XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    cr_assert_not_null(realpath(tmpl, root));
    const char *dirs[] = {"rpath", "parent_rpath", "llp", "runpath", "defaults", "bin"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (strcmp(dirs[i], "bin") != 0)
            make_lib(dirs[i], ELFCLASS64);
    char *bin;
    cr_assert_gt(asprintf(&bin, "%s/bin", root), 0);
    mkdir(bin, 0755);
    free(bin);
}

static void teardown(void)
{
    char *cmd;
    cr_assert_gt(asprintf(&cmd, "rm -rf '%s'", root), 0);
    cr_assert_eq(system(cmd), 0);
    free(cmd);
}

TestSuite(deps, .init = setup, .fini = teardown);

static char *dir_of(const char *sub)
{
    char *s;
    cr_assert_gt(asprintf(&s, "%s/%s", root, sub), 0);
    return s;
}

/* A program in root/bin with the given RPATH / RUNPATH, then a library it loaded. */
static void make_chain(audit_dso_list_t *list, const char *prog_rpath, const char *lib_rpath,
                       const char *lib_runpath)
{
    *list = (audit_dso_list_t){0};
    audit_links_t l = {0};
    l.rpath = prog_rpath ? strdup(prog_rpath) : NULL;
    cr_assert_eq(audit_dso_add(list, dir_of("bin/prog"), NULL, &l, AUDIT_NO_PARENT), 0);
    l = (audit_links_t){0};
    l.rpath = lib_rpath ? strdup(lib_rpath) : NULL;
    l.runpath = lib_runpath ? strdup(lib_runpath) : NULL;
    cr_assert_eq(audit_dso_add(list, dir_of("bin/libmid.so"), strdup("libmid.so"), &l, 0), 0);
}

static void expect_found(const audit_deps_env_t *env, const audit_dso_list_t *list, size_t who,
                         const char *dir)
{
    char *found = NULL, *want;
    cr_assert_eq(audit_deps_find(env, list, who, "libx.so", &found), 0);
    cr_assert_gt(asprintf(&want, "%s/%s/libx.so", root, dir), 0);
    cr_assert_str_eq(found, want);
    free(found);
    free(want);
}

Test(deps, order_rpath_llp_runpath_defaults)
{
    char *llp = dir_of("llp"), *defaults = dir_of("defaults");
    const char *const dd[] = {defaults, NULL};
    audit_deps_env_t env = {.ld_library_path = llp, .default_dirs = dd};
    audit_dso_list_t list;

    make_chain(&list, NULL, "$ORIGIN/../rpath", NULL);
    expect_found(&env, &list, 1, "rpath");          /* RPATH before LD_LIBRARY_PATH */
    audit_dso_list_free(&list);

    make_chain(&list, NULL, "$ORIGIN/../rpath", "${ORIGIN}/../runpath");
    expect_found(&env, &list, 1, "llp");            /* RUNPATH disables RPATH; LLP first */
    env.ld_library_path = NULL;
    expect_found(&env, &list, 1, "runpath");
    audit_dso_list_free(&list);

    make_chain(&list, "$ORIGIN/../parent_rpath", NULL, NULL);
    expect_found(&env, &list, 1, "parent_rpath");   /* the loader's RPATH is inherited */
    audit_dso_list_free(&list);

    make_chain(&list, "$ORIGIN/../parent_rpath", NULL, "/nonexistent");
    expect_found(&env, &list, 1, "defaults");       /* ... but not by an object with RUNPATH */
    list.v[1].links.nodeflib = true;
    char *found;
    cr_assert_eq(audit_deps_find(&env, &list, 1, "libx.so", &found), AUDIT_E_LIB_NOT_FOUND);
    audit_dso_list_free(&list);
    free(llp);
    free(defaults);
}

Test(deps, wrong_class_is_skipped)
{
    make_lib("rpath", ELFCLASS32);
    char *defaults = dir_of("defaults");
    const char *const dd[] = {defaults, NULL};
    audit_deps_env_t env = {.default_dirs = dd};
    audit_dso_list_t list;
    make_chain(&list, NULL, "$ORIGIN/../rpath", NULL);
    expect_found(&env, &list, 1, "defaults");
    audit_dso_list_free(&list);
    free(defaults);
}

Test(deps, names_with_a_slash_and_missing_ones)
{
    audit_deps_env_t env = {0};
    audit_dso_list_t list;
    make_chain(&list, NULL, NULL, NULL);
    char *name = dir_of("runpath/libx.so"), *found;
    cr_assert_eq(audit_deps_find(&env, &list, 0, name, &found), 0);
    cr_assert_str_eq(found, name);
    free(found);
    cr_assert_eq(audit_deps_find(&env, &list, 0, "libnothere.so.9", &found),
                 AUDIT_E_LIB_NOT_FOUND);
    free(name);
    audit_dso_list_free(&list);
}

Test(deps, loaded_objects_answer_to_soname_and_name)
{
    audit_dso_list_t list;
    make_chain(&list, NULL, NULL, NULL);
    list.v[0].links.soname = strdup("libprog.so.1");
    cr_assert(audit_dso_list_has_name(&list, "libprog.so.1"));
    cr_assert(audit_dso_list_has_name(&list, "libmid.so"));
    cr_assert_not(audit_dso_list_has_name(&list, "libx.so"));
    audit_dso_list_free(&list);
}

Test(deps, dynamic_string_tokens)
{
    char out[PATH_MAX];
    const struct { const char *in, *want; } cases[] = {
        {"$ORIGIN/lib", "/o/lib"},          {"${ORIGIN}/../x", "/o/../x"},
        {"$ORIGINAL/x", "$ORIGINAL/x"},     {"/a/$LIB", "/a/lib/x86_64-linux-gnu"},
        {"/p/${PLATFORM}/q", "/p/x86_64/q"}, {"$", "$"}, {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cr_assert_eq(audit_expand_dst(cases[i].in, strlen(cases[i].in), "/o", out, sizeof out),
                     0);
        cr_assert_str_eq(out, cases[i].want);
    }
    char small[8];
    cr_assert_eq(audit_expand_dst("$ORIGIN/long", 12, "/o/p/q/r", small, sizeof small),
                 ENAMETOOLONG);
}
