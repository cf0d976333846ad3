/* tests/integration/audit_wrpkru_lib.c: a library with WRPKRU bytes in one function, built twice
 * (WRPKRU_FUNCTION names it) for tests/integration/it_audit_scan.c. Never called. */
__attribute__((used, noinline, visibility("default"))) void WRPKRU_FUNCTION(void)
{
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" ::"a"(0), "c"(0), "d"(0) : "memory");
}
