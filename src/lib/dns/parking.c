/*
 * parking.c - domain-parking services, recognised by the names of their
 * name servers and mail hosts.
 *
 * A parked domain is registered but unused: its owner pointed its name
 * servers at a parking service that shows an advertising or for-sale page.
 * Mail to it reaches nobody (or a catch-all of the service).  Each row is a
 * service's own domain: the service tells its customers to set name servers
 * under it (nsN.<domain>), so any NS or MX host under that domain is a sign.
 * Sources: each service's help pages on "nameservers to park a domain"
 * (Sedo: ns1/ns2.sedoparking.com; Bodis: ns1/ns2.bodis.com; ParkingCrew:
 * ns1/ns2.parkingcrew.net; Above.com: ns1/ns2.above.com; Dan.com:
 * ns1/ns2.dan.com; Afternic: ns1/ns2.afternic.com; Uniregistry Market:
 * ns1/ns2.uniregistrymarket.link), checked 2026-11.  Only services whose
 * parking name servers live under a domain of their own are listed; registrars'
 * default name servers (which also host real zones) are not signs of parking.
 * When you add a row, give its source here.
 */
#include "mailcheck_int.h"

#include <string.h>
#include <strings.h>

typedef struct parking_row {
    const char *domain;
    const char *service;
} parking_row;

static const parking_row parking[] = {
    {"sedoparking.com", "Sedo"},
    {"bodis.com", "Bodis"},
    {"parkingcrew.net", "ParkingCrew"},
    {"above.com", "Above.com"},
    {"dan.com", "Dan.com"},
    {"afternic.com", "Afternic"},
    {"uniregistrymarket.link", "Uniregistry Market"},
};

/* host is name or a name below it: "ns1.bodis.com" is under "bodis.com". */
static int under(const char *host, const char *domain)
{
    size_t h = strlen(host), d = strlen(domain);
    if (h < d || strcasecmp(host + h - d, domain) != 0)
        return 0;
    return h == d || host[h - d - 1] == '.';
}

const char *mm_parking_service(const char *host, const char *domain)
{
    for (size_t i = 0; i < sizeof parking / sizeof parking[0]; i++)
        if (under(host, parking[i].domain) && !under(domain, parking[i].domain))
            return parking[i].service; /* the service's own domain is not parked */
    return NULL;
}
