/* tests/audit/samples/sample_main.c: the entry point of the audit sample; it only exists so the
 * sample is a linked program. Never run. */
int main(void)
{
    return 0;
}
