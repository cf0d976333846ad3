/* tools/audit/image.c: reading a whole file as one read-only mapping. mmap rather than read()
 * because a 100 MB binary is then paged in only where the scan looks. */
#include "tools/audit/image.h"

#include "tools/audit/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int audit_image_open(const char *path, audit_image_t *img, struct stat *st)
{
    *img = (audit_image_t){0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    /* fstat on the open descriptor: the file checked is the file read. */
    if (fstat(fd, st) != 0) {
        int err = errno;
        close(fd);
        return err;
    }
    if (S_ISDIR(st->st_mode)) {
        close(fd);
        return EISDIR;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return AUDIT_E_NOT_REGULAR;
    }
    if (st->st_size == 0) {
        close(fd);
        return 0;
    }
    if ((uint64_t)st->st_size > SIZE_MAX) {
        close(fd);
        return EFBIG;
    }
    size_t len = (size_t)st->st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (p == MAP_FAILED)
        return err;
    img->data = p;
    img->size = len;
    img->owned = p;
    img->owned_len = len;
    img->mapped = true;
    return 0;
}

void audit_image_borrow(audit_image_t *img, const void *data, size_t size)
{
    *img = (audit_image_t){.data = data, .size = size};
}

void audit_image_adopt(audit_image_t *img, void *block, size_t size)
{
    *img = (audit_image_t){.data = block, .size = size, .owned = block, .owned_len = size};
}

void audit_image_close(audit_image_t *img)
{
    if (img->owned) {
        if (img->mapped)
            munmap(img->owned, img->owned_len);
        else
            free(img->owned);
    }
    *img = (audit_image_t){0};
}
