/* status.c - mm_strerror(). */
#include <mailmedic/status.h>

const char *mm_strerror(mm_status_t st)
{
    static const char *const msgs[MM_STATUS_MAX_] = {
        [MM_OK] = "success",
        [MM_ENOMEM] = "out of memory",
        [MM_EINVAL] = "invalid argument",
        [MM_EIO] = "input/output error",
        [MM_ENOTMAIL] = "not an email message",
        [MM_ETOOBIG] = "input too large",
        [MM_EPARSE] = "malformed input",
        [MM_ENOTBOUNCE] = "not a bounce",
        [MM_EBINARY] = "binary data, not an email message",
        [MM_EEMPTY] = "empty input",
        [MM_ENOTFOUND] = "not found",
        [MM_EDB] = "database error",
        [MM_EBUSY] = "database is locked by another writer",
        [MM_ESCHEMA] = "database schema is newer than this program",
        [MM_ECONN] = "cannot reach the server or the connection was lost",
        [MM_EAUTH] = "the server refused the credentials",
    };
    return (unsigned)st < MM_STATUS_MAX_ && msgs[st] ? msgs[st] : "unknown error";
}
