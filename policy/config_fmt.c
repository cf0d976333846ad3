/* policy/config_fmt.c: copying parsed text into the config's fixed-size fields (messages are
 * formatted by policy/format.c). */
#include <string.h>

#include "policy/config_parser.h"

bool cfg_copy(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap)
        return false;
    memmove(dst, s, len); /* s may be dst itself */
    memset(dst + len, 0, cap - len);
    return true;
}
