/* bench/count/count.h: markers that open and close a counting window for the QEMU plugin
 * bench/count/plugin.c. A marker is a 7-byte NOP (nopl disp32(%rax)) whose displacement carries
 * a magic, an operation and a window number: it does nothing on any CPU, and the plugin, which
 * recognises it when its code is translated, counts what every vCPU executes while a window is
 * open (the child processes and threads the measured code wakes included). */
#ifndef MPK_COUNT_H
#define MPK_COUNT_H

#define COUNT_MAGIC 0x4d430000u      /* "MC" in the upper half */
#define COUNT_MAGIC_MASK 0xffff0000u
#define COUNT_OP_SHIFT 12
#define COUNT_OP_OPEN 1u     /* open the window in the low bits */
#define COUNT_OP_CLOSE 2u    /* close the window in the low bits */
#define COUNT_OP_BIT 3u      /* shift the low bit into the selected window number */
#define COUNT_OP_OPEN_SEL 4u /* open the selected window */
#define COUNT_OP_CLOSE_ANY 5u /* close whichever window is open */
#define COUNT_WINDOW_MASK 0xfffu     /* windows 0..4095 */

#define MPK_COUNT_MARK_(op, id)                                                                    \
    __asm__ volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0"                                          \
                     : : "i"(COUNT_MAGIC | ((op) << COUNT_OP_SHIFT) | ((id) & COUNT_WINDOW_MASK))     \
                     : "memory")

/* Window `id` (a constant 0..4095) counts from here ... */
#define MPK_COUNT_OPEN(id) MPK_COUNT_MARK_(COUNT_OP_OPEN, id)
/* ... to here. A window may open and close many times; the plugin adds the counts up. */
#define MPK_COUNT_CLOSE(id) MPK_COUNT_MARK_(COUNT_OP_CLOSE, id)

/* The same for a window number known only at run time: its 12 bits are spelt out with one marker
 * each before the window opens, so none of them is counted. */
static inline __attribute__((always_inline)) void mpk_count_open(unsigned id)
{
    for (int b = 11; b >= 0; b--) {
        if ((id >> b) & 1)
            MPK_COUNT_MARK_(COUNT_OP_BIT, 1);
        else
            MPK_COUNT_MARK_(COUNT_OP_BIT, 0);
    }
    MPK_COUNT_MARK_(COUNT_OP_OPEN_SEL, 0);
}
static inline __attribute__((always_inline)) void mpk_count_close(void)
{
    MPK_COUNT_MARK_(COUNT_OP_CLOSE_ANY, 0);
}

#endif
