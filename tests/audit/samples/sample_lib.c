/* tests/audit/samples/sample_lib.c: a shared library with a WRPKRU, found only through --deps
 * (as libauditdep.so) or labelled benign (built again as libmpk_auditsample.so). */
__attribute__((noinline, used, visibility("default"))) void lib_wrpkru(void)
{
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0) : "memory");
}
