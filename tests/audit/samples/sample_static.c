/* tests/audit/samples/sample_static.c: a program linked with -static, which LD_PRELOAD cannot
 * reach: mpk-audit must say so. */
#include <stdio.h>

int main(void)
{
    puts("static");
    return 0;
}
