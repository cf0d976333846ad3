/* preload/settings_map.h: from the policy's config to the manager's settings. */
#ifndef MPK_PRELOAD_SETTINGS_MAP_H
#define MPK_PRELOAD_SETTINGS_MAP_H

#include "core/state.h"
#include "policy/config.h"

/* Every setting the config carries; the rest (region rules, the W^X eligibility check) as
 * _mpk_settings_default leaves them, for preload/ to fill. */
void _mpk_settings_from_config(const struct mpk_config *c, mpk_settings_t *s);

#endif
