/* tools/audit/procmaps.c: the /proc interface. maps needs only PTRACE_MODE_READ; mem needs ptrace
 * access to the process, which is why files are read from disk and only anonymous code from mem. */
#include "tools/audit/procmaps.h"

#include "tools/audit/error.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DELETED_SUFFIX " (deleted)"

static int push(audit_mappings_t *m, const audit_mapping_t *e)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 32;
        audit_mapping_t *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n++] = *e;
    return 0;
}

/* "start-end perms offset dev inode   path" (one line, no newline): keeps executable ones. */
static int parse_line(const char *line, audit_mappings_t *out)
{
    uint64_t start, end, offset;
    char perms[5];
    int path_at = -1;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %n", &start, &end, perms,
               &offset, &path_at) < 4 || path_at < 0 || end < start || strlen(perms) < 3)
        return AUDIT_E_BAD_MAPS;
    if (perms[2] != 'x')
        return 0;
    audit_mapping_t e = {.start = start, .end = end, .offset = offset};
    e.path = strdup(line + path_at);
    if (!e.path)
        return ENOMEM;
    int err = push(out, &e);
    if (err)
        free(e.path);
    return err;
}

int audit_parse_exec_mappings(const char *text, audit_mappings_t *out)
{
    *out = (audit_mappings_t){0};
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        /* One line at a time: sscanf's blanks would otherwise run into the next line. */
        char *copy = strndup(line, len);
        int err = copy ? parse_line(copy, out) : ENOMEM;
        free(copy);
        if (err) {
            audit_mappings_free(out);
            return err;
        }
        line += len;
        if (*line)
            line++;
    }
    return 0;
}

static int read_all(FILE *f, char **text)
{
    size_t cap = 0;
    FILE *mem = open_memstream(text, &cap);
    if (!mem)
        return ENOMEM;
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, mem);
    int err = ferror(f) ? errno : 0;
    if (fclose(mem) != 0 && !err)
        err = ENOMEM;
    return err;
}

int audit_read_exec_mappings(int pid, audit_mappings_t *out)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? ESRCH : errno;
    char *text = NULL;
    int err = read_all(f, &text);
    fclose(f);
    /* Reading maps of a process we may not inspect fails on read, not open. */
    if (!err)
        err = audit_parse_exec_mappings(text, out);
    free(text);
    return err;
}

void audit_mappings_free(audit_mappings_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].path);
    free(m->v);
    *m = (audit_mappings_t){0};
}

bool audit_mapping_is_file(const audit_mapping_t *m)
{
    size_t len = strlen(m->path), sl = strlen(DELETED_SUFFIX);
    bool deleted = len >= sl && strcmp(m->path + len - sl, DELETED_SUFFIX) == 0;
    return m->path[0] == '/' && !deleted;
}

int audit_read_process_memory(int pid, uint64_t start, uint64_t end, uint8_t **out, size_t *got)
{
    *out = NULL;
    *got = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ESRCH : errno;
    size_t len = (size_t)(end - start);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    int err = 0;
    while (*got < len) {
        ssize_t n = pread(fd, buf + *got, len - *got, (off_t)(start + *got));
        if (n <= 0) {
            err = n < 0 && (errno == EACCES || errno == EPERM) ? errno : AUDIT_E_PARTIAL_READ;
            break;
        }
        *got += (size_t)n;
    }
    close(fd);
    *out = buf;
    return err;
}
