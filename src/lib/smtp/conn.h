/*
 * conn.h - one SMTP client connection with deadlines (internal).
 *
 * The socket is non-blocking and every wait is a poll() on it and on an
 * "abort" descriptor that becomes readable when the prober shuts down, so
 * no read, write, connect or TLS handshake can outlive its deadline or a
 * shutdown.  The same calls work before and after STARTTLS.
 */
#ifndef MM_SMTP_CONN_H
#define MM_SMTP_CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <openssl/ssl.h>
#include "smtp/reply.h"

typedef enum smtp_io {
    SMTP_IO_OK = 0,
    SMTP_IO_TIMEOUT, /* the deadline passed */
    SMTP_IO_CLOSED,  /* the peer closed the connection (or reset it) */
    SMTP_IO_ERROR,   /* a system error; errno in conn->err */
    SMTP_IO_BAD,     /* a malformed reply */
    SMTP_IO_TOOBIG,  /* a reply past the parser's limits */
    SMTP_IO_TLS,     /* the TLS handshake failed */
    SMTP_IO_ABORTED, /* the prober is shutting down */
} smtp_io;

typedef struct smtp_conn {
    int fd;
    int abort_fd; /* -1: none */
    SSL *ssl;     /* after STARTTLS */
    int err;      /* errno of the last SMTP_IO_ERROR */
    size_t in_len;
    char in[2 * MM_SMTP_LINE_MAX + 4]; /* bytes read but not yet parsed */
} smtp_conn;

/* Milliseconds on the monotonic clock. */
int64_t mm_smtp_now_ms(void);

/* Connect to sa within timeout_ms; on failure the connection is closed. */
smtp_io smtp_conn_open(smtp_conn *c, const struct sockaddr *sa, socklen_t salen, int timeout_ms,
                       int abort_fd);

/* Send all of data[0..len) before deadline (mm_smtp_now_ms() time). */
smtp_io smtp_conn_send(smtp_conn *c, const char *data, size_t len, int64_t deadline);

/* Read one whole reply into r (initialised here) before deadline. */
smtp_io smtp_conn_reply(smtp_conn *c, mm_smtp_reply *r, int64_t deadline);

/* TLS handshake after the server's 220 to STARTTLS.  sni may be NULL. */
smtp_io smtp_conn_starttls(smtp_conn *c, SSL_CTX *ctx, const char *sni, int64_t deadline);

/* Close and free everything; safe to call twice. */
void smtp_conn_close(smtp_conn *c);

#endif
