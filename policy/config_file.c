/* policy/config_file.c: parsing a config file, streamed through a fixed buffer with
 * open/read/close so that it is safe inside the preload's constructor. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config_parser.h"

static int open_config(const char *path, struct mpk_config_error *e)
{
    struct stat st;
    int fd;

    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return cfg_fail_input(e, path, "cannot open the config file: %s", cfg_errno_text(errno));
    if (fstat(fd, &st) < 0) {
        int err = errno;

        close(fd);
        return cfg_fail_input(e, path, "cannot read the config file: %s", cfg_errno_text(err));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return cfg_fail_input(e, path, "is a directory: expected a config file");
    }
    return fd;
}

int mpk_config_parse_file(struct mpk_config *c, const char *path, struct mpk_config_error *e)
{
    struct cfg_parser p;
    struct cfg_reader r;
    int fd, rc;

    if (!path[0])
        return cfg_fail_input(e, "(empty path)", "no config file named: the path is empty");
    if (strnlen(path, MPK_CONFIG_PATH_MAX) >= MPK_CONFIG_PATH_MAX)
        return cfg_fail_input(e, path, "config file path too long: at most %u bytes",
                              MPK_CONFIG_PATH_MAX - 1);
    fd = open_config(path, e);
    if (fd < 0)
        return -1;
    cfg_parser_init(&p, c, e, path, MPK_SRC_FILE);
    cfg_reader_fd(&r, fd);
    rc = cfg_parse_stream(&p, &r);
    close(fd);
    return rc;
}
