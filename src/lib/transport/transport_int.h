/*
 * transport_int.h - shared between the files of src/lib/transport/.
 */
#ifndef MM_TRANSPORT_INT_H
#define MM_TRANSPORT_INT_H

#include <mailmedic/transport.h>

/* Append the finding id (from the table in lint.c) unless the list is full;
 * field and value must outlive the list (NULL = ""). */
void mm_transport_add_lint(mm_transport_lint *lints, size_t *n, const char *id, const char *field,
                           const char *value);

#endif
