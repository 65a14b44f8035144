/*
 * status.h - the one error vocabulary of libmailmedic.
 *
 * Every library function that can fail returns an mm_status_t.  MM_OK is 0;
 * the other values are fixed and never renumbered, so they can be logged and
 * compared across versions.  mm_strerror() gives a short English phrase; a
 * caller that wants more detail passes an mm_buf "why" where offered.
 */
#ifndef MAILMEDIC_STATUS_H
#define MAILMEDIC_STATUS_H

#include <mailmedic/export.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_status {
    MM_OK = 0,
    MM_ENOMEM = 1,      /* out of memory: never aborts, always returned */
    MM_EINVAL = 2,      /* a caller passed an impossible argument */
    MM_EIO = 3,         /* reading or writing a file or stream failed */
    MM_ENOTMAIL = 4,    /* the input is not an RFC 5322 message at all */
    MM_ETOOBIG = 5,     /* the input goes past a configured limit */
    MM_EPARSE = 6,      /* the input is mail, but malformed beyond repair */
    MM_ENOTBOUNCE = 7,  /* valid mail, but no delivery report was found in it */
    MM_EBINARY = 8,     /* the input holds binary data (NUL bytes) */
    MM_EEMPTY = 9,      /* the input is empty */
    MM_ENOTFOUND = 10,  /* a looked-up item does not exist */
    MM_EDB = 11,        /* the database refused or failed a statement (corrupt file, bad SQL state) */
    MM_EBUSY = 12,      /* the database is locked by another writer past the busy time-out */
    MM_ESCHEMA = 13,    /* the database was written by a newer mailmedic (schema version too high) */
    MM_ECONN = 14,      /* a server (PostgreSQL, IMAP) cannot be reached or the connection was lost */
    MM_EAUTH = 15,      /* a server refused the credentials */
    MM_STATUS_MAX_
} mm_status_t;

/* A static, English, lower-case phrase for a status; never NULL. */
MM_EXTERN const char *mm_strerror(mm_status_t st);

#ifdef __cplusplus
}
#endif
#endif
