/* tests/audit/samples/sample_dep.c: a program whose DT_NEEDED libauditdep.so lies in
 * $ORIGIN/deplib (its RUNPATH/RPATH): --deps must find it there. Never run. */
void lib_wrpkru(void);

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 99)
        lib_wrpkru();
    return 0;
}
