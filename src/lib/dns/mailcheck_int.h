/* mailcheck_int.h - helpers of the mail-domain check shared with its tests. */
#ifndef MM_MAILCHECK_INT_H
#define MM_MAILCHECK_INT_H

#include <mailmedic/dns.h>

/* The parking service host (an NS or MX host) belongs to, or NULL; never the
 * service of domain itself (the service's own mail is not parked). */
const char *mm_parking_service(const char *host, const char *domain);

#endif
