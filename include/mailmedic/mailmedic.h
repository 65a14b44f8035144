/* mailmedic.h - the whole public API of libmailmedic. */
#ifndef MAILMEDIC_H
#define MAILMEDIC_H
#include <mailmedic/export.h>
#include <mailmedic/status.h>
#include <mailmedic/ctx.h>
#include <mailmedic/reason.h>
#include <mailmedic/bounce.h>
#include <mailmedic/input.h>
#include <mailmedic/smtp.h>
#include <mailmedic/dns.h>
#include <mailmedic/address.h>
#include <mailmedic/domains.h>
#include <mailmedic/spf.h>
#include <mailmedic/dmarc.h>
#include <mailmedic/dkim.h>
#include <mailmedic/verify.h>
#include <mailmedic/checkup.h>
#include <mailmedic/dnsbl.h>
#include <mailmedic/transport.h>
#include <mailmedic/store.h>
#include <mailmedic/ingest.h>
#include <mailmedic/mtalog.h>
#include <mailmedic/imap.h>
#include <mailmedic/stats.h>
#endif
