/*
 * mta_portable.h - the portable passes of mta_util.c's run-time dispatched
 * searches, for tests (not installed, not for the library's own use).
 *
 * mm_mta_find_any(), mm_mta_prose_len() (through the same finder) and
 * mm_mta_command() take an AVX2 pass when the CPU has AVX2.  On an AVX2
 * machine the tests would never run the other pass; each
 * mm_mta_NAME_portable() is mm_mta_NAME() with the AVX2 pass left out (the
 * same code, see NAME_isa() in mta_util.c), so a test can run both on the
 * same inputs.  No switch is read from anywhere: mm_mta_NAME() passes the
 * constant true.  It folds away in mm_mta_command() and the search loops;
 * any_finder_init() and prose_len_isa() are ordinary functions that take
 * it as an argument (forcing them inline cost more than it saved: GCC then
 * stopped inlining message_at()), a test of a register per call.
 */
#ifndef MM_MTA_PORTABLE_H
#define MM_MTA_PORTABLE_H

#include <stddef.h>
#include "mta_util.h"

const char *mm_mta_find_any_portable(const char *t, size_t n, size_t from, const mm_needle *nd,
                                     size_t k, unsigned active, size_t *which);
size_t mm_mta_prose_len_portable(const char *t, size_t n);
const char *mm_mta_command_portable(const char *s, size_t n);

#endif
