/* tools/audit/decode.h: x86-64 decoding for the classifier: one instruction at an address, and a
 * linear sweep from a known instruction boundary to the instruction that covers a target byte. */
#ifndef MPK_AUDIT_DECODE_H
#define MPK_AUDIT_DECODE_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Instructions capstone 4 does not know get ids past its own. */
enum {
    AUDIT_INSN_RDPKRU = X86_INS_ENDING + 1,
    AUDIT_INSN_WRPKRU,
    AUDIT_INSN_CLUI,    /* F3 0F 01 EE */
    AUDIT_INSN_STUI,    /* F3 0F 01 EF */
};

#define AUDIT_INSN_TEXT 200  /* capstone's mnemonic[32] + " " + op_str[160] always fit */
#define AUDIT_HISTORY 32    /* instructions kept behind the sweep for the data-flow walk */

/* Code bytes loaded at vaddr. */
typedef struct audit_code {
    const uint8_t *bytes;
    size_t size;
    uint64_t vaddr;
} audit_code_t;

typedef struct audit_insn {
    uint64_t addr;
    unsigned size;              /* 1 for an undecodable byte */
    unsigned id;                /* X86_INS_*, AUDIT_INSN_*, or X86_INS_INVALID (undecodable) */
    char text[AUDIT_INSN_TEXT]; /* "mov eax, 0xef010f"; "(bad)" when undecodable */
} audit_insn_t;

/* A sweep in progress: kept so the sites of one function continue one decode pass. */
typedef struct audit_sweep {
    audit_code_t code;
    uint64_t start;
    uint64_t pos;                   /* next instruction to decode */
    uint64_t hist[AUDIT_HISTORY];   /* ring: starts of the instructions decoded before pos */
    unsigned hist_len;
    unsigned hist_next;
    uint64_t last_bad;              /* last undecodable byte seen, valid when have_bad */
    bool have_bad;
    bool active;
} audit_sweep_t;

typedef struct audit_decoder {
    csh fast;           /* no detail: the sweep, which is the hot loop */
    csh detail;         /* detail on: the few instructions the data-flow walk inspects */
    cs_insn *fast_insn;
    cs_insn *detail_insn;
    audit_sweep_t sweep;
} audit_decoder_t;

/* Returns 0 or AUDIT_E_DISASSEMBLER. */
int audit_decoder_open(audit_decoder_t *d);
void audit_decoder_close(audit_decoder_t *d);

/* The instruction at addr (inside code), text included. */
void audit_decode_at(audit_decoder_t *d, const audit_code_t *code, uint64_t addr,
                     audit_insn_t *out);

/* The capstone instruction with detail at addr, or NULL (undecodable or not capstone's). Valid
 * until the next call. */
const cs_insn *audit_decode_detail(audit_decoder_t *d, const audit_code_t *code, uint64_t addr);

/* Decodes linearly from start (an instruction boundary, start <= target, target inside code) and
 * returns in *out the instruction covering target. Continues the previous sweep when it has the
 * same code and start and has not passed target. */
void audit_sweep_to(audit_decoder_t *d, const audit_code_t *code, uint64_t start, uint64_t target,
                    audit_insn_t *out);

/* Where decoding would resume for (code, start): the current position of a sweep that can be
 * continued, else start. Lets the caller judge the cost of a sweep before making it. */
uint64_t audit_sweep_resume_point(const audit_decoder_t *d, const audit_code_t *code,
                                  uint64_t start, uint64_t target);

/* Forgets the cached sweep (new file or new code region). */
void audit_sweep_forget(audit_decoder_t *d);

/* The last undecodable byte the current sweep stepped over, if any. */
bool audit_sweep_last_bad(const audit_decoder_t *d, uint64_t *addr);

/* The history of the last sweep, oldest first: n <= AUDIT_HISTORY starts of the instructions
 * directly before the one returned. */
unsigned audit_sweep_history(const audit_decoder_t *d, uint64_t *out);

#endif
