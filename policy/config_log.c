/* policy/config_log.c: opening the log sink named by `log`, at start-up, so that a path that
 * cannot be opened stops the program with an error pointing at the setting. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "policy/config_parser.h"

int mpk_config_open_log(const struct mpk_config *c, struct mpk_config_error *e)
{
    size_t len = strlen(c->log);
    int fd;

    if (len == 0)
        return 2;
    do
        fd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return mpk_config_error_at(c, &c->pos[MPK_KEY_LOG], e,
                                   "cannot open the log file '%.*s%s': %s", (int)(len > 300 ? 300 : len),
                                   c->log, len > 300 ? "..." : "", cfg_errno_text(errno));
    return fd;
}
