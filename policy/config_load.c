/* policy/config_load.c: the whole configuration as the preload sees it: defaults, then the file
 * named by LIBMPK_CONFIG, then LIBMPK_OPTIONS, then the checks between settings. */
#include <string.h>

#include "policy/config_parser.h"

/* The value of NAME in envp, as getenv would give it (the first one), or NULL. We scan envp
 * ourselves because the constructor may run before the program's environ is settled. */
static const char *env_value(char *const envp[], const char *name)
{
    size_t len = strlen(name);

    for (size_t i = 0; envp && envp[i]; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
            return envp[i] + len + 1;
    return NULL;
}

int mpk_config_load(struct mpk_config *c, char *const envp[], struct mpk_config_error *e)
{
    const char *file = env_value(envp, "LIBMPK_CONFIG");
    const char *opts = env_value(envp, "LIBMPK_OPTIONS");

    mpk_config_defaults(c);
    if (file && !file[0])
        return cfg_fail_input(e, "LIBMPK_CONFIG", "set but empty: name a config file, or unset "
                                                  "it for the built-in defaults");
    if (file && mpk_config_parse_file(c, file, e) < 0)
        return -1;
    if (opts && mpk_config_parse_options(c, opts, e) < 0)
        return -1;
    return mpk_config_check(c, e);
}
