/* tools/audit/audit_file.c: one file from path to findings. The image stays mapped only while
 * it is scanned; everything the reports need afterwards is copied into the object. */
#include "tools/audit/audit_file.h"

#include "tools/audit/benign.h"
#include "tools/audit/privilege.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An error in the file is the object's; only running out of memory stops the whole run. */
static int file_error(audit_object_t *obj, int err)
{
    if (err == ENOMEM)
        return ENOMEM;
    obj->error = err;
    return 0;
}

static int copy_string(char **dst, const char *src)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : ENOMEM;
}

int audit_file_properties(const audit_elf_t *elf, audit_object_t *obj, audit_links_t *links)
{
    audit_elf_info_t info;
    int err = audit_elf_info_read(elf, &info);
    if (!err) {
        obj->is_elf = true;
        obj->kind = info.kind;
        obj->is_libmpk = audit_is_libmpk_name(obj->path) ||
                         (info.soname && audit_is_libmpk_name(info.soname));
        err = copy_string(&obj->interp, info.interp);
    }
    if (!err)
        err = copy_string(&obj->soname, info.soname);
    if (!err && links)
        err = audit_links_copy(&info, links);
    audit_elf_info_free(&info);
    return err;
}

int audit_file_image(const audit_image_t *img, const audit_window_t *windows, size_t nwindows,
                     const audit_file_opts_t *opts, audit_decoder_t *dec, audit_object_t *obj,
                     audit_links_t *links)
{
    audit_elf_t elf;
    int err = audit_elf_open(&elf, img->data, img->size);
    if (!err)
        err = audit_file_properties(&elf, obj, links);
    if (!err)
        err = audit_scan_elf(&elf, windows, nwindows, opts->count_syscalls, dec, obj);
    return file_error(obj, err);
}

int audit_file(const audit_file_opts_t *opts, audit_decoder_t *dec, audit_object_t *obj,
               audit_links_t *links)
{
    audit_image_t img;
    struct stat st;
    int err = audit_image_open(obj->path, &img, &st);
    if (err)
        return file_error(obj, err);
    audit_read_privilege(obj->path, &st, obj);
    err = audit_file_image(&img, NULL, 0, opts, dec, obj, links);
    audit_image_close(&img);
    return err;
}
