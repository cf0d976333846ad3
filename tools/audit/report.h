/* tools/audit/report.h: the reporting layer: the only code that prints. Text for people, one JSON
 * document for machines, nothing for --quiet; errors always go to stderr. */
#ifndef MPK_AUDIT_REPORT_H
#define MPK_AUDIT_REPORT_H

#include "tools/audit/finding.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct audit_summary {
    size_t objects;
    size_t errors;
    size_t findings;
    size_t benign;
} audit_summary_t;

typedef struct audit_reporter {
    void (*begin)(struct audit_reporter *r);
    void (*object)(struct audit_reporter *r, const audit_object_t *obj);
    void (*end)(struct audit_reporter *r, const audit_summary_t *s, int status);
    FILE *out;
    bool verbose;
    size_t emitted;
} audit_reporter_t;

void audit_reporter_text(audit_reporter_t *r, FILE *out, bool verbose);
void audit_reporter_json(audit_reporter_t *r, FILE *out, bool verbose);
void audit_reporter_quiet(audit_reporter_t *r);

/* Counts obj into s. */
void audit_summary_add(audit_summary_t *s, const audit_object_t *obj);

/* 2 when anything failed, else 1 when a finding is not benign, else 0. */
int audit_exit_status(const audit_summary_t *s);

/* "mpk-audit: error: PATH: message" on stderr, for an object that carries an error. */
void audit_report_error(const audit_object_t *obj);

/* The object's name as reports show it: path, "(needed by ...)", "(pid N)". */
void audit_object_label(const audit_object_t *obj, char *buf, size_t len);

/* Why LD_PRELOAD cannot reach the program: how it is linked (static, no interpreter), and
 * secure mode (setuid, setgid, file capabilities). NULL when that reason does not apply. */
const char *audit_link_note(const audit_object_t *obj);
const char *audit_secure_note(const audit_object_t *obj);

#endif
