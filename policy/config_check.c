/* policy/config_check.c: checks between settings, made once every input is read because a
 * later input may change either side (LIBMPK_OPTIONS overrides the file). */
#include "policy/config_parser.h"

/* At worst libmpk is left 13 hardware keys: 15, less its metadata key and the kernel's
 * execute-only key; one of them must stay free to rotate the other virtual keys through. */
#define PIN_AUTO_MAX 12

static unsigned count_bits(unsigned v)
{
    unsigned n = 0;

    for (; v; v &= v - 1)
        n++;
    return n;
}

static unsigned highest_bit(unsigned v)
{
    unsigned k = 0;

    while (v >>= 1)
        k++;
    return k;
}

int mpk_config_check(const struct mpk_config *c, struct mpk_config_error *e)
{
    const struct mpk_config_pos *pin = &c->pos[MPK_KEY_PIN];
    unsigned pinned = count_bits(c->pin);

    if (pinned && highest_bit(c->pin) > c->max_keys)
        return mpk_config_error_at(c, pin, e, "key %u is pinned but max_keys = %u: a pinned key "
                                              "must be a key number that can be allocated",
                                   highest_bit(c->pin), c->max_keys);
    if (c->hw_keys && pinned >= c->hw_keys)
        return mpk_config_error_at(c, pin, e, "%u keys are pinned but hw_keys = %u leaves no "
                                              "hardware key for the others: pin fewer keys or "
                                              "raise hw_keys", pinned, c->hw_keys);
    if (!c->hw_keys && pinned > PIN_AUTO_MAX)
        return mpk_config_error_at(c, pin, e, "%u keys are pinned: at most %u can be, since "
                                              "libmpk may have as few as %u hardware keys",
                                   pinned, PIN_AUTO_MAX, PIN_AUTO_MAX + 1);
    return 0;
}
