/* bench/app_openssl.c: the paper's OpenSSL case. A private key, parsed once into a region of its
 * own (ssl_heap.h: OpenSSL's allocations go there while it parses), is closed except while a
 * signature is made: open (read-write: OpenSSL counts references and takes a lock inside the
 * key), sign a fixed message, close. Three variants in one process, the same work but for the
 * protection (none, a libmpk group with mpk_begin/mpk_end, mprotect of the region's pages),
 * batches interleaved; signatures/s. Link with -lmpk and libcrypto.
 * Options: --alg ec (ECDSA P-256, default) or rsa (RSA-2048, PKCS#1 v1.5). */
#include "ssl_heap.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

enum { REGION = 256 * 1024 };

typedef struct signer {
    ssl_heap_t heap;
    EVP_PKEY *key; /* inside heap.region */
    unsigned sink;
} signer_t;

static const unsigned char message[256] = "libmpk benchmark: the message every variant signs";

static void die(const char *what)
{
    fprintf(stderr, "app_openssl: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* One signature of the message with key; the caller has made the key reachable. */
static unsigned sign_with(EVP_PKEY *key)
{
    unsigned char sig[512];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, message, sizeof message) != 1)
        die("signing");
    EVP_MD_CTX_free(md); /* drops its reference to the key: still inside the window */
    return sig[sig_len / 2];
}

static void signatures(void *arg, long n)
{
    signer_t *s = arg;
    for (long i = 0; i < n; i++) {
        guard_open(&s->heap.region, PROT_READ | PROT_WRITE);
        s->sink += sign_with(s->key);
        guard_close(&s->heap.region);
    }
}

static EVP_PKEY *parse(const unsigned char *der, long len)
{
    EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &der, len);
    if (!key)
        die("parsing the key");
    return key;
}

/* Parse the key into the signer's region with the region open, then close it. */
static void signer_make(signer_t *s, guard_kind_t kind, const unsigned char *der, long len)
{
    if (ssl_heap_make(&s->heap, kind, REGION))
        die("mapping the key's region");
    guard_open(&s->heap.region, PROT_READ | PROT_WRITE);
    ssl_heap_loading = &s->heap;
    s->key = parse(der, len);
    /* The parse may have grown this thread's error queue inside the region (its buffers are
     * kept for reuse): drop the thread's state now, so OpenSSL makes it afresh in malloc. */
    OPENSSL_thread_stop();
    ssl_heap_loading = NULL;
    s->sink = sign_with(s->key); /* anything OpenSSL caches at a first use, made now */
    ssl_heap_seal(&s->heap);
    guard_close(&s->heap.region);
}

static void results(const char *alg, const char *title, bench_case_t *c, const int *kinds, int n)
{
    bench_stat_t plain = bench_rate(c[0].stat);
    for (int i = 0; i < n; i++) {
        bench_stat_t r = bench_rate(c[i].stat);
        char id[48], base[48], label[96], extra[48];
        printf("| %-8s | %10.0f | %10.0f - %-10.0f | %.3fx plain\n", guard_names[kinds[i]], r.median, r.min,
               r.max, r.median / plain.median);
        snprintf(id, sizeof id, "ssl.%s.%s", alg, guard_names[kinds[i]]);
        snprintf(base, sizeof base, "ssl.%s.plain", alg);
        snprintf(label, sizeof label, "%s signatures, %s", title, guard_names[kinds[i]]);
        snprintf(extra, sizeof extra, "alg=%s how=%s", alg, guard_names[kinds[i]]);
        bench_result(id, label, "sig/s", r, base, plain.median, extra);
        if (kinds[i] == GUARD_MPK && n == GUARD_KINDS) {
            snprintf(id, sizeof id, "ssl.%s.libmpk_vs_mprotect", alg);
            snprintf(base, sizeof base, "ssl.%s.mprotect", alg);
            bench_result(id, label, "sig/s", r, base, bench_rate(c[n - 1].stat).median, extra);
        }
    }
}

int main(int argc, char **argv)
{
    int rsa = argc > 2 && !strcmp(argv[1], "--alg") && !strcmp(argv[2], "rsa");
    const char *alg = rsa ? "rsa2048" : "ecp256", *title = rsa ? "RSA-2048" : "ECDSA P-256";
    static signer_t signers[GUARD_KINDS];
    bench_case_t c[GUARD_KINDS];
    int kinds[GUARD_KINDS], n = 0;
    unsigned char *der = NULL;
    long der_len;
    EVP_PKEY *key;
    if (!ssl_heap_install())
        die("installing the allocator");
    key = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key || (der_len = i2d_PrivateKey(key, &der)) <= 0)
        die("making the key");
    EVP_PKEY_free(key);
    /* A parse and a signature in ordinary memory first, so that what OpenSSL sets up once for
     * the whole process (decoders, fetched methods) is not made inside a region. */
    key = parse(der, der_len);
    sign_with(key);
    EVP_PKEY_free(key);
    for (int k = 0; k < GUARD_KINDS; k++) {
        if (k == GUARD_MPK && !guard_have_mpk())
            continue;
        signer_make(&signers[k], (guard_kind_t)k, der, der_len);
        c[n] = (bench_case_t){.fn = signatures, .arg = &signers[k]};
        c[n].iters = bench_calibrate(signatures, &signers[k], bench_batch_ns());
        kinds[n++] = k;
    }
    OPENSSL_clear_free(der, (size_t)der_len);
    bench_interleaved(c, n, bench_batches());
    printf("\n### OpenSSL %s signatures, key opened only around each (signatures/s, median of %d batches)\n",
           title, bench_batches());
    if (n < GUARD_KINDS)
        printf("(no PKU here: the libmpk variant is left out)\n");
    results(alg, title, c, kinds, n);
    printf("INFO name=ssl.%s text=\"protected: the parsed %s private key, every structure OpenSSL allocated for "
           "it (%zu KiB in %zu pages), closed except during a signature; not protected: what OpenSSL "
           "allocates while signing (contexts, temporaries), and the DER bytes the key was parsed from "
           "(cleared at start-up)\"\n",
           alg, title, signers[0].heap.used / 1024, signers[0].heap.region.len / 4096);
    return 0;
}
