/* tools/audit/image.h: the bytes of one file (mapped read-only) or of one block of memory, the
 * thing every parser here reads. Separate so parsers never touch the file system. */
#ifndef MPK_AUDIT_IMAGE_H
#define MPK_AUDIT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct audit_image {
    const uint8_t *data;
    size_t size;
    void *owned;    /* what close() releases: an mmap of owned_len bytes, or a malloc block */
    size_t owned_len;
    bool mapped;
} audit_image_t;

/* Maps path read-only and fills *st. Returns 0, an errno (ENOENT, EACCES, EISDIR, ...), or
 * AUDIT_E_NOT_REGULAR. An empty file gives an empty image (size 0). */
int audit_image_open(const char *path, audit_image_t *img, struct stat *st);

/* An image over bytes the caller keeps alive (fuzzing, tests). */
void audit_image_borrow(audit_image_t *img, const void *data, size_t size);

/* Takes ownership of a malloc block. */
void audit_image_adopt(audit_image_t *img, void *block, size_t size);

void audit_image_close(audit_image_t *img);

#endif
